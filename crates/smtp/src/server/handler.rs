//! What a server author writes: the policy of one connection.

use std::future::Future;
use std::io;

use bytes::Bytes;
use postwire_smtp_proto::server::{
    Authentication, HeloKind, Mechanism, SecretRequest, StoredSecret,
};
use postwire_smtp_proto::{
    ClientId, EnhancedStatusCode, ForwardPath, MailParameters, ParseError, RcptParameters, Reply,
    ReplyCode, ReversePath,
};

/// The answer to one envelope step (HELO/EHLO, MAIL, RCPT).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The standard positive reply (`250 2.1.0`, `250 2.1.5`, the EHLO
    /// capabilities).
    Accept,
    /// The standard refusal of the step: `550 5.7.1` for HELO and MAIL,
    /// `550 5.1.1` for RCPT (RFC 5321 §4.2.2, RFC 3463).
    Reject,
    /// Any reply: `2xx` accepts, `4xx`/`5xx` refuse (for example `450
    /// 4.2.0` to greylist, `452 4.2.2` for a full mailbox).
    Reply(Reply),
}

/// Builds a one-line reply, for [`Decision::Reply`] and the final reply of
/// [`BodySink::finish`]: `reply(451, (4, 3, 0), "try again later")`.
///
/// Fails when the code is outside 200..=599, the enhanced code is not valid
/// per RFC 3463 §2, or the text holds CR, LF or NUL (no reply injection).
pub fn reply(code: u16, enhanced: (u8, u16, u16), text: &str) -> Result<Reply, ParseError> {
    let (class, subject, detail) = enhanced;
    Reply::new(
        ReplyCode::new(code)?,
        Some(EnhancedStatusCode::new(class, subject, detail)),
        [Bytes::copy_from_slice(text.as_bytes())],
    )
}

/// What the session knows about its client, given to every [`Handler`]
/// call. Reset by STARTTLS (RFC 3207 §4.2: the client greets again).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Session {
    /// The name the client gave with its last accepted HELO/EHLO/LHLO;
    /// `None` (with [`helo_kind`](Self::helo_kind) set) when that name was
    /// neither a domain nor an address literal (`EHLO my_host`, accepted
    /// under `config.quirks.lenient_helo`).
    pub helo: Option<ClientId>,
    /// Which greeting it used.
    pub helo_kind: Option<HeloKind>,
    /// The name of an accepted greeting that was neither a domain nor an
    /// address literal (`EHLO my_host`, see
    /// [`Handler::helo_nonstandard`]), kept for logs and for a comment in a
    /// `Received:` field, never as its `From-domain` (RFC 5321 §4.4).
    pub helo_nonstandard: Option<String>,
    /// Whether TLS is active (STARTTLS done, or implicit TLS).
    pub tls: bool,
    /// The identity an accepted AUTH established (RFC 4954 §4), from
    /// [`Handler::authenticate`].
    pub authenticated: Option<String>,
    /// Messages accepted in this session so far.
    pub messages: u64,
}

impl Session {
    /// The `with` protocol name of a `Received:` header for this session
    /// (RFC 5321 §4.4, RFC 3848 §2): `SMTP`, `ESMTP`, then `S` for TLS and
    /// `A` for AUTH (`ESMTPSA`); `LMTP` variants likewise.
    pub fn protocol_name(&self) -> &'static str {
        let base = match self.helo_kind {
            Some(HeloKind::Helo) => return if self.tls { "SMTPS" } else { "SMTP" },
            Some(HeloKind::Lhlo) => 0,
            _ => 1,
        };
        let names: [[&str; 4]; 2] = [
            ["LMTP", "LMTPA", "LMTPS", "LMTPSA"],
            ["ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA"],
        ];
        let index = usize::from(self.authenticated.is_some()) + 2 * usize::from(self.tls);
        names[base][index]
    }
}

/// The envelope of the message whose data begins: the accepted sender and
/// the accepted recipients, in RCPT order (RFC 5321 §3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Envelope {
    /// The MAIL FROM address (`<>` for bounces).
    pub from: ReversePath,
    /// The MAIL parameters.
    pub params: MailParameters,
    /// The recipients the handler accepted.
    pub recipients: Vec<(ForwardPath, RcptParameters)>,
}

/// Receives one message's content as it arrives, so that the facade never
/// holds a whole message (DESIGN.md: large payloads stream).
///
/// The facade reads the next piece of data from the client only after
/// `write_chunk` returned, so a slow sink slows the client down instead of
/// filling memory.
pub trait BodySink: Send {
    /// A piece of the content, unstuffed, CRLF line endings (RFC 5321
    /// §4.5.2), or a BDAT chunk as received (RFC 3030). Chunk boundaries
    /// carry no meaning.
    ///
    /// An error stops the writing: the rest of the data is read and
    /// discarded, the sink is [`abort`](Self::abort)ed, and the client gets
    /// `451 4.3.0` (RFC 5321 §4.2.3).
    fn write_chunk(&mut self, chunk: Bytes) -> impl Future<Output = io::Result<()>> + Send;

    /// The data ended (`CRLF.CRLF` or `BDAT ... LAST`): commit the message
    /// and return the final reply: a `2xx` takes responsibility for it
    /// (RFC 5321 §4.1.1.4 and §6.1), a `4xx`/`5xx` refuses it.
    fn finish(self) -> impl Future<Output = Reply> + Send;

    /// The data was abandoned (size limit, bare line ending, disconnect,
    /// RSET between BDAT chunks, a write error): drop what was written.
    /// The default drops the sink.
    fn abort(self) -> impl Future<Output = ()> + Send
    where
        Self: Sized,
    {
        drop(self);
        async {}
    }
}

/// The policy of one SMTP connection: every decision the protocol leaves to
/// the application. The facade ([`serve`](super::serve)) does the rest.
///
/// Methods return futures (write them as `async fn` in the impl) that must
/// be `Send`, so a server can run connections on a multi-threaded runtime.
/// One handler serves one connection; share state between connections
/// with an `Arc` inside it.
pub trait Handler: Send {
    /// What receives a message's content.
    type Body: BodySink;

    /// `HELO`, `EHLO` or `LHLO` with the client's name (RFC 5321 §4.1.1.1).
    /// The default accepts. Names that are no [`ClientId`] (`EHLO my_host`)
    /// go to [`helo_nonstandard`](Self::helo_nonstandard) instead, or are
    /// refused with `501` when `config.quirks.lenient_helo` is off.
    fn helo(
        &mut self,
        session: &Session,
        client: &ClientId,
    ) -> impl Future<Output = Decision> + Send {
        let _ = (session, client);
        async { Decision::Accept }
    }

    /// `HELO`, `EHLO` or `LHLO` with a name that is neither a domain nor an
    /// address literal (`EHLO my_host`: an underscore, a label over 63
    /// octets), taken under `config.quirks.lenient_helo`. `name` is the
    /// argument as sent: 1 to 255 octets of UTF-8 without spaces or control
    /// characters. The default accepts, as Postfix does unless
    /// `reject_invalid_helo_hostname` is among its `smtpd_helo_restrictions`;
    /// a server that wants that strictness returns a reply here (`501
    /// 5.5.2` is Postfix's).
    fn helo_nonstandard(
        &mut self,
        session: &Session,
        kind: HeloKind,
        name: &str,
    ) -> impl Future<Output = Decision> + Send {
        let _ = (session, kind, name);
        async { Decision::Accept }
    }

    /// `MAIL FROM` (RFC 5321 §4.1.1.2), syntax, sequence and parameters
    /// already checked. The default accepts.
    fn mail_from(
        &mut self,
        session: &Session,
        from: &ReversePath,
        params: &MailParameters,
    ) -> impl Future<Output = Decision> + Send {
        let _ = (session, from, params);
        async { Decision::Accept }
    }

    /// `RCPT TO` (RFC 5321 §4.1.1.3), syntax, sequence, count and
    /// parameters already checked.
    fn rcpt_to(
        &mut self,
        session: &Session,
        to: &ForwardPath,
        params: &RcptParameters,
    ) -> impl Future<Output = Decision> + Send;

    /// A SASL mechanism that verifies against a stored secret needs the
    /// user's (RFC 5802 SCRAM-SHA-256(-PLUS): [`StoredSecret::Scram`] keys
    /// made with `ScramCredentials::derive` when the account was created;
    /// RFC 2195 CRAM-MD5: [`StoredSecret::Plaintext`], see
    /// `request.kind`). Return `None` for an unknown user: the exchange
    /// then fails exactly like a wrong password. Only called when
    /// `config.secret_lookup` is on, which is also what makes the server
    /// advertise those mechanisms. The default knows no one.
    fn lookup_secret(
        &mut self,
        session: &Session,
        mechanism: &Mechanism,
        request: &SecretRequest,
    ) -> impl Future<Output = Option<StoredSecret>> + Send {
        let _ = (session, mechanism, request);
        async { None }
    }

    /// Credentials from an AUTH exchange (RFC 4954): return the identity
    /// they establish, or `None` to refuse (`535 5.7.8`; the session stays
    /// usable). What is left to check is in `authentication.evidence`:
    /// compare passwords with [`Authentication::password_matches`]
    /// (constant time), validate bearer tokens; SCRAM and CRAM-MD5 arrive
    /// already verified (`Evidence::Verified`, [`Authentication::is_verified`])
    /// against [`lookup_secret`](Self::lookup_secret). In every case decide
    /// whether the user may act as `authentication.authzid`. The default
    /// refuses everything.
    fn authenticate(
        &mut self,
        session: &Session,
        mechanism: &Mechanism,
        authentication: &Authentication,
    ) -> impl Future<Output = Option<String>> + Send {
        let _ = (session, mechanism, authentication);
        async { None }
    }

    /// Why a bearer token (XOAUTH2, OAUTHBEARER) that
    /// [`authenticate`](Self::authenticate) refused was refused: a JSON
    /// object sent to the client as a `334` challenge before the `535 5.7.8`
    /// (RFC 7628 §3.2.2 SHOULD). Its `status` tells the client whether a
    /// fresh token can help: `invalid_token` (expired or revoked: refresh
    /// and retry), `insufficient_scope`, or an HTTP status for XOAUTH2, as
    /// Gmail sends. `None` answers `535` at once. The default is
    /// `{"status":"invalid_token"}`.
    fn token_error(
        &mut self,
        session: &Session,
        mechanism: &Mechanism,
        authentication: &Authentication,
    ) -> impl Future<Output = Option<Vec<u8>>> + Send {
        let _ = (session, mechanism, authentication);
        async { Some(br#"{"status":"invalid_token"}"#.to_vec()) }
    }

    /// `RSET` (RFC 5321 §4.1.1.5): the client abandoned the transaction;
    /// the facade already forgot its envelope and answers `250`. The
    /// default does nothing.
    fn reset(&mut self, session: &Session) -> impl Future<Output = ()> + Send {
        let _ = session;
        async {}
    }

    /// `DATA` (or the first `BDAT`) with the accepted envelope: return the
    /// sink for the content, or a refusal (`4xx`/`5xx`; `554 5.7.1` is the
    /// usual one; for DATA the client's next bytes are then read as
    /// commands, RFC 2920 §3.1).
    fn data_start(
        &mut self,
        session: &Session,
        envelope: &Envelope,
    ) -> impl Future<Output = Result<Self::Body, Reply>> + Send;
}
