//! The CAPA listing (RFC 2449 §5, §6), typed, with unknown lines kept.

use crate::types::parse_u32;

/// `LOGIN-DELAY` (RFC 2449 §6.5): the minimum seconds between logins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LoginDelay {
    /// The delay in seconds.
    pub seconds: u32,
    /// `USER`: the delay may differ per user, see the listing after login.
    pub per_user: bool,
}

/// `EXPIRE` (RFC 2449 §6.7): how long the server keeps retrieved mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expire {
    /// `EXPIRE NEVER`: mail is kept.
    Never,
    /// `EXPIRE n`: kept at least this many days (0: deleted at QUIT).
    Days {
        /// The days.
        days: u32,
        /// `USER`: may differ per user.
        per_user: bool,
    },
}

/// `UTF8` (RFC 6856 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Utf8Capability {
    /// `UTF8 USER`: UTF-8 user names and passwords are accepted by USER and
    /// PASS too.
    pub user: bool,
}

/// What a server announced in its CAPA answer.
///
/// Capabilities announced before STLS do not count after it (RFC 2595 §4,
/// SECURITY.md C09): the client forgets them when TLS starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// `TOP` (RFC 2449 §6.1).
    pub top: bool,
    /// `USER` (RFC 2449 §6.2): USER/PASS are accepted.
    pub user: bool,
    /// `SASL mech...` (RFC 2449 §6.3): the mechanism names, upper case.
    pub sasl: Vec<String>,
    /// `RESP-CODES` (RFC 2449 §6.4).
    pub resp_codes: bool,
    /// `AUTH-RESP-CODE` (RFC 3206 §6).
    pub auth_resp_code: bool,
    /// `LOGIN-DELAY` (RFC 2449 §6.5).
    pub login_delay: Option<LoginDelay>,
    /// `PIPELINING` (RFC 2449 §6.6).
    pub pipelining: bool,
    /// `EXPIRE` (RFC 2449 §6.7).
    pub expire: Option<Expire>,
    /// `UIDL` (RFC 2449 §6.8).
    pub uidl: bool,
    /// `IMPLEMENTATION text` (RFC 2449 §6.9).
    pub implementation: Option<String>,
    /// `STLS` (RFC 2595 §4).
    pub stls: bool,
    /// `UTF8` (RFC 6856 §2).
    pub utf8: Option<Utf8Capability>,
    /// `LANG` (RFC 6856 §3).
    pub lang: bool,
    /// Lines this crate does not know, or could not read, as received.
    pub other: Vec<String>,
}

impl Capabilities {
    /// Reads the lines of a CAPA answer (without the status line and the
    /// terminating `.`); tags are matched ignoring case.
    pub fn from_lines<I, S>(lines: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut caps = Capabilities::default();
        for line in lines {
            let line = line.as_ref();
            if !caps.read_line(line) {
                caps.other.push(line.to_owned());
            }
        }
        caps
    }

    /// Reads one known line; `false` for unknown or malformed lines.
    fn read_line(&mut self, line: &str) -> bool {
        let mut words = line.split(' ').filter(|w| !w.is_empty());
        let Some(tag) = words.next() else {
            return false;
        };
        let args: Vec<&str> = words.collect();
        let user_flag = |args: &[&str]| match args {
            [] => Some(false),
            [u] if u.eq_ignore_ascii_case("USER") => Some(true),
            _ => None,
        };
        match tag.to_ascii_uppercase().as_str() {
            "TOP" if args.is_empty() => self.top = true,
            "USER" if args.is_empty() => self.user = true,
            "UIDL" if args.is_empty() => self.uidl = true,
            "PIPELINING" if args.is_empty() => self.pipelining = true,
            "RESP-CODES" if args.is_empty() => self.resp_codes = true,
            "AUTH-RESP-CODE" if args.is_empty() => self.auth_resp_code = true,
            "STLS" if args.is_empty() => self.stls = true,
            "LANG" if args.is_empty() => self.lang = true,
            "SASL" => {
                for name in args {
                    let upper = name.to_ascii_uppercase();
                    if !self.sasl.contains(&upper) {
                        self.sasl.push(upper);
                    }
                }
            }
            "LOGIN-DELAY" => {
                let Some((seconds, rest)) = args.split_first() else {
                    return false;
                };
                let (Some(seconds), Some(per_user)) =
                    (parse_u32(seconds.as_bytes()), user_flag(rest))
                else {
                    return false;
                };
                self.login_delay = Some(LoginDelay { seconds, per_user });
            }
            "EXPIRE" => {
                self.expire = Some(match args.as_slice() {
                    [never] if never.eq_ignore_ascii_case("NEVER") => Expire::Never,
                    [days, rest @ ..] => {
                        let (Some(days), Some(per_user)) =
                            (parse_u32(days.as_bytes()), user_flag(rest))
                        else {
                            return false;
                        };
                        Expire::Days { days, per_user }
                    }
                    [] => return false,
                });
            }
            "UTF8" => {
                let Some(user) = user_flag(&args) else {
                    return false;
                };
                self.utf8 = Some(Utf8Capability { user });
            }
            "IMPLEMENTATION" if !args.is_empty() => {
                self.implementation = Some(args.join(" "));
            }
            _ => return false,
        }
        true
    }

    /// The CAPA lines for these capabilities, in a fixed order; unknown
    /// lines last. [`from_lines`](Self::from_lines) reads them back to the
    /// same value.
    pub fn to_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut flag = |on: bool, name: &str| {
            if on {
                lines.push(name.to_owned());
            }
        };
        flag(self.top, "TOP");
        flag(self.user, "USER");
        flag(self.resp_codes, "RESP-CODES");
        flag(self.auth_resp_code, "AUTH-RESP-CODE");
        flag(self.pipelining, "PIPELINING");
        flag(self.uidl, "UIDL");
        flag(self.stls, "STLS");
        flag(self.lang, "LANG");
        if !self.sasl.is_empty() {
            lines.push(format!("SASL {}", self.sasl.join(" ")));
        }
        if let Some(delay) = self.login_delay {
            lines.push(format!(
                "LOGIN-DELAY {}{}",
                delay.seconds,
                if delay.per_user { " USER" } else { "" }
            ));
        }
        match self.expire {
            Some(Expire::Never) => lines.push("EXPIRE NEVER".to_owned()),
            Some(Expire::Days { days, per_user }) => lines.push(format!(
                "EXPIRE {days}{}",
                if per_user { " USER" } else { "" }
            )),
            None => {}
        }
        if let Some(utf8) = self.utf8 {
            lines.push(if utf8.user { "UTF8 USER" } else { "UTF8" }.to_owned());
        }
        if let Some(implementation) = &self.implementation {
            lines.push(format!("IMPLEMENTATION {implementation}"));
        }
        lines.extend(self.other.iter().cloned());
        lines
    }

    /// Whether SASL mechanism `name` is offered (ignoring case).
    pub fn has_sasl(&self, name: &str) -> bool {
        self.sasl.iter().any(|m| m.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2449_5_example() {
        let caps = Capabilities::from_lines([
            "TOP",
            "USER",
            "SASL CRAM-MD5 KERBEROS_V4",
            "RESP-CODES",
            "LOGIN-DELAY 900",
            "PIPELINING",
            "EXPIRE 60",
            "UIDL",
            "IMPLEMENTATION Shlemazle-Plotz-v302",
        ]);
        assert!(caps.top && caps.user && caps.resp_codes && caps.pipelining && caps.uidl);
        assert_eq!(caps.sasl, ["CRAM-MD5", "KERBEROS_V4"]);
        assert!(caps.has_sasl("cram-md5"));
        assert_eq!(
            caps.login_delay,
            Some(LoginDelay {
                seconds: 900,
                per_user: false
            })
        );
        assert_eq!(
            caps.expire,
            Some(Expire::Days {
                days: 60,
                per_user: false
            })
        );
        assert_eq!(caps.implementation.as_deref(), Some("Shlemazle-Plotz-v302"));
        assert!(!caps.stls);
        assert!(caps.other.is_empty());
        assert_eq!(Capabilities::from_lines(caps.to_lines()), caps);
    }

    #[test]
    fn unknown_and_malformed_lines_are_kept() {
        let caps = Capabilities::from_lines([
            "stls",
            "X-VENDOR thing",
            "LOGIN-DELAY soon",
            "EXPIRE NEVER",
            "UTF8 USER",
            "TOP extra",
        ]);
        assert!(caps.stls);
        assert_eq!(caps.expire, Some(Expire::Never));
        assert_eq!(caps.utf8, Some(Utf8Capability { user: true }));
        assert!(!caps.top);
        assert_eq!(
            caps.other,
            ["X-VENDOR thing", "LOGIN-DELAY soon", "TOP extra"]
        );
        assert_eq!(Capabilities::from_lines(caps.to_lines()), caps);
    }
}
