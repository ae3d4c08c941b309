//! Users and their mail: in memory, or in Maildirs
//! (`DIR/<user>/{tmp,new,cur}`), shared by SMTP (delivery) and POP3
//! (listing, reading, deleting).

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::UNIX_EPOCH;

use postwire_core::Bytes;
use postwire_sasl::ScramCredentials;
use postwire_smtp_proto::ForwardPath;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

use super::smtp::wall_clock;

/// SCRAM iterations for the stored keys (RFC 7677 §4 asks for at least
/// 4096).
const SCRAM_ITERATIONS: u32 = 4096;

/// One account.
struct User {
    name: String,
    password: String,
    /// SCRAM-SHA-256 keys derived at start, so SCRAM logins never need the
    /// password (RFC 5802 §3).
    scram: Option<ScramCredentials>,
}

/// One stored message, as POP3 lists it.
pub(crate) struct Stored {
    /// Its unique-id (RFC 1939 §7): the Maildir file name without the
    /// `:2,` flags, or the queue id in memory.
    pub(crate) uid: String,
    /// Its exact size with CRLF line endings (the bytes as received).
    pub(crate) size: u64,
}

/// The content of one message, for POP3's RETR.
pub(crate) type Content = Compat<Box<dyn tokio::io::AsyncRead + Send + Unpin>>;

/// Users, their mail, the locks on their maildrops.
pub(crate) struct Store {
    users: Vec<User>,
    maildir: Option<PathBuf>,
    /// In-memory mailboxes (without `--maildir`): (queue id, bytes).
    memory: Mutex<HashMap<String, Vec<(String, Bytes)>>>,
    /// Maildrops a POP3 session holds (RFC 1939 §8: one at a time).
    locked: Mutex<HashSet<String>>,
    counter: AtomicU64,
    /// This process's id, read once (Maildir names carry it).
    pid: u32,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Store {
    /// Creates the Maildirs of every user, if any, and derives SCRAM keys.
    pub(crate) fn new(users: Vec<(String, String)>, maildir: Option<PathBuf>) -> io::Result<Self> {
        if let Some(dir) = &maildir {
            for (user, _) in &users {
                for sub in ["tmp", "new", "cur"] {
                    std::fs::create_dir_all(dir.join(user).join(sub))?;
                }
            }
        }
        let users = users
            .into_iter()
            .map(|(name, password)| {
                // A password SASLprep refuses gets no SCRAM keys: that user
                // logs in with PLAIN or LOGIN.
                let scram = ScramCredentials::with_random_salt(&password, SCRAM_ITERATIONS).ok();
                User {
                    name,
                    password,
                    scram,
                }
            })
            .collect();
        Ok(Self {
            users,
            maildir,
            memory: Mutex::new(HashMap::new()),
            locked: Mutex::new(HashSet::new()),
            counter: AtomicU64::new(0),
            pid: std::process::id(),
        })
    }

    /// The Maildir root, when messages go to disk.
    pub(crate) fn maildir(&self) -> Option<&Path> {
        self.maildir.as_deref()
    }

    /// The user a recipient's local part names (case-insensitive).
    pub(crate) fn user_for(&self, to: &ForwardPath) -> Option<&str> {
        let ForwardPath::Mailbox(mailbox) = to else {
            return None;
        };
        let local = mailbox.local_part.value();
        self.users
            .iter()
            .find(|user| user.name.eq_ignore_ascii_case(&local))
            .map(|user| user.name.as_str())
    }

    /// Whether `name` is a user whose password `matches` accepts (the
    /// caller compares in constant time).
    pub(crate) fn password_ok(&self, name: &str, matches: impl Fn(&str) -> bool) -> bool {
        self.users
            .iter()
            .any(|user| user.name == name && matches(&user.password))
    }

    /// Whether `name` is a user.
    pub(crate) fn exists(&self, name: &str) -> bool {
        self.users.iter().any(|user| user.name == name)
    }

    /// The SCRAM-SHA-256 keys of `name`.
    pub(crate) fn scram(&self, name: &str) -> Option<ScramCredentials> {
        self.users
            .iter()
            .find(|user| user.name == name)
            .and_then(|user| user.scram.clone())
    }

    /// A unique Maildir file name, `time.pid_counter.host`, and a queue id.
    pub(crate) fn unique(&self) -> (String, String) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let secs = wall_clock()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let pid = self.pid;
        (
            format!("{secs}.{pid}_{n}.{}", super::HOSTNAME),
            format!("{secs:X}{pid:X}Q{n}"),
        )
    }

    /// Adds a message held in memory to each user's mailbox.
    pub(crate) fn deliver_to_memory(&self, id: &str, users: &[String], content: Bytes) {
        let mut memory = lock(&self.memory);
        for user in users {
            memory
                .entry(user.clone())
                .or_default()
                .push((id.to_owned(), content.clone()));
        }
    }

    /// Locks the maildrop of `user`; false when a session holds it.
    pub(crate) fn lock_maildrop(&self, user: &str) -> bool {
        lock(&self.locked).insert(user.to_owned())
    }

    /// Releases the lock [`lock_maildrop`](Self::lock_maildrop) took.
    pub(crate) fn unlock_maildrop(&self, user: &str) {
        lock(&self.locked).remove(user);
    }

    /// The messages of `user`, oldest first.
    pub(crate) async fn list(&self, user: &str) -> io::Result<Vec<Stored>> {
        let Some(dir) = &self.maildir else {
            let memory = lock(&self.memory);
            return Ok(memory
                .get(user)
                .map(|messages| {
                    messages
                        .iter()
                        .map(|(uid, content)| Stored {
                            uid: uid.clone(),
                            size: content.len() as u64,
                        })
                        .collect()
                })
                .unwrap_or_default());
        };
        let mut found = Vec::new();
        for sub in ["cur", "new"] {
            let mut entries = tokio::fs::read_dir(dir.join(user).join(sub)).await?;
            while let Some(entry) = entries.next_entry().await? {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let size = entry.metadata().await?.len();
                let uid = name.split(':').next().unwrap_or(&name).to_owned();
                found.push(Stored { uid, size });
            }
        }
        // Delivery names start with the time in seconds: name order is
        // arrival order, and it is stable across restarts.
        found.sort_by(|a, b| a.uid.cmp(&b.uid));
        Ok(found)
    }

    /// Opens message `uid` of `user` for reading.
    pub(crate) async fn open(&self, user: &str, uid: &str) -> io::Result<Content> {
        let Some(dir) = &self.maildir else {
            let memory = lock(&self.memory);
            let content = memory
                .get(user)
                .and_then(|messages| messages.iter().find(|(id, _)| id == uid))
                .map(|(_, content)| content.clone())
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such message"))?;
            let reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> =
                Box::new(std::io::Cursor::new(content));
            return Ok(reader.compat());
        };
        let path = find(dir, user, uid).await?;
        let reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> =
            Box::new(tokio::fs::File::open(path).await?);
        Ok(reader.compat())
    }

    /// Removes messages of `user` (POP3's UPDATE state).
    pub(crate) async fn delete(&self, user: &str, uids: &[&str]) -> io::Result<()> {
        let Some(dir) = &self.maildir else {
            if let Some(messages) = lock(&self.memory).get_mut(user) {
                messages.retain(|(id, _)| !uids.contains(&id.as_str()));
            }
            return Ok(());
        };
        for uid in uids {
            tokio::fs::remove_file(find(dir, user, uid).await?).await?;
        }
        Ok(())
    }
}

/// The file of message `uid` in `new/` or `cur/`.
async fn find(dir: &Path, user: &str, uid: &str) -> io::Result<PathBuf> {
    for sub in ["cur", "new"] {
        let mut entries = tokio::fs::read_dir(dir.join(user).join(sub)).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.split(':').next() == Some(uid) {
                return Ok(entry.path());
            }
        }
    }
    Err(io::Error::new(io::ErrorKind::NotFound, "no such message"))
}
