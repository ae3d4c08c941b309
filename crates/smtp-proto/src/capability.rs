//! EHLO keywords (RFC 5321 §4.1.1.1 `ehlo-line`), typed.

use crate::grammar::parse_u64;
use crate::{Domain, MechanismName, ParseError, Reply, ReplyCode};

/// What an EHLO (or LHLO) reply advertises.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// `SIZE [n]` (RFC 1870): `Some(None)` when advertised without a number
    /// or with 0 (no fixed limit), `Some(Some(n))` for a limit of n octets.
    pub size: Option<Option<u64>>,
    /// `8BITMIME` (RFC 6152).
    pub eight_bit_mime: bool,
    /// `BINARYMIME` (RFC 3030).
    pub binary_mime: bool,
    /// `PIPELINING` (RFC 2920).
    pub pipelining: bool,
    /// `CHUNKING` (RFC 3030).
    pub chunking: bool,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `DSN` (RFC 3461).
    pub dsn: bool,
    /// `STARTTLS` (RFC 3207).
    pub starttls: bool,
    /// `AUTH mech...` (RFC 4954), in the server's order. Also filled from the
    /// pre-standard `AUTH=mech...` form that old servers send.
    pub auth: Vec<MechanismName>,
    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    pub enhanced_status_codes: bool,
    /// `REQUIRETLS` (RFC 8689).
    pub requiretls: bool,
    /// `DELIVERBY [min-by-time]` (RFC 2852): `Some(None)` without a value.
    pub deliver_by: Option<Option<u64>>,
    /// `MT-PRIORITY [policy]` (RFC 6710): `Some(None)` without a policy name.
    pub mt_priority: Option<Option<String>>,
    /// Every other keyword with its parameters, as sent, in order.
    pub other: Vec<(String, Vec<String>)>,
}

impl Capabilities {
    /// Reads an EHLO reply: the first line is the server's domain and
    /// greeting, each further line one keyword. Unknown or malformed keyword
    /// lines are kept in `other`, never an error.
    ///
    /// `ehlo-line = ehlo-keyword *( SP ehlo-param )` (RFC 5321 §4.1.1.1);
    /// keywords are case-insensitive, parameters are split on runs of
    /// spaces. Text that is not UTF-8 is decoded lossily. Mechanisms from
    /// `AUTH` and `AUTH=` lines are merged without duplicates, and invalid
    /// mechanism names are skipped.
    pub fn from_ehlo_reply(reply: &Reply) -> Self {
        let mut caps = Self::default();
        for line in reply.lines().skip(1) {
            caps.add_line(line);
        }
        caps
    }

    fn add_line(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let mut words = text.split(' ').filter(|w| !w.is_empty());
        let Some(keyword) = words.next() else {
            return;
        };
        let params: Vec<&str> = words.collect();
        let is = |name: &str| keyword.eq_ignore_ascii_case(name);
        let flag = if is("8BITMIME") {
            Some(&mut self.eight_bit_mime)
        } else if is("BINARYMIME") {
            Some(&mut self.binary_mime)
        } else if is("PIPELINING") {
            Some(&mut self.pipelining)
        } else if is("CHUNKING") {
            Some(&mut self.chunking)
        } else if is("SMTPUTF8") {
            Some(&mut self.smtputf8)
        } else if is("DSN") {
            Some(&mut self.dsn)
        } else if is("STARTTLS") {
            Some(&mut self.starttls)
        } else if is("ENHANCEDSTATUSCODES") {
            Some(&mut self.enhanced_status_codes)
        } else if is("REQUIRETLS") {
            Some(&mut self.requiretls)
        } else {
            None
        };
        if let Some(flag) = flag {
            *flag = true;
            return;
        }
        if is("SIZE") && self.size.is_none() {
            // `size-param = [1*20DIGIT]`; 0 means no fixed limit (RFC 1870 §4).
            match params.as_slice() {
                [] => return self.size = Some(None),
                [n] => {
                    if let Some(n) = parse_u64(n.as_bytes()) {
                        self.size = Some((n > 0).then_some(n));
                        return;
                    }
                }
                _ => {}
            }
        } else if is("DELIVERBY") && self.deliver_by.is_none() {
            // `deliverby-param = [min-by-time]` (RFC 2852 §4).
            match params.as_slice() {
                [] => return self.deliver_by = Some(None),
                [n] => {
                    if let Some(n) = parse_u64(n.as_bytes()) {
                        self.deliver_by = Some(Some(n));
                        return;
                    }
                }
                _ => {}
            }
        } else if is("MT-PRIORITY") && self.mt_priority.is_none() {
            // `"MT-PRIORITY" [SP priority-profile]` (RFC 6710 §2).
            match params.as_slice() {
                [] => return self.mt_priority = Some(None),
                [p] => return self.mt_priority = Some(Some((*p).to_owned())),
                _ => {}
            }
        } else if is("AUTH") {
            self.add_mechanisms(params.iter().copied());
            return;
        } else if let Some(first) = strip_prefix_ignore_case(keyword, "AUTH=") {
            // The pre-RFC 4954 form `AUTH=PLAIN LOGIN` of old servers.
            self.add_mechanisms(std::iter::once(first).chain(params.iter().copied()));
            return;
        }
        self.other.push((
            keyword.to_owned(),
            params.into_iter().map(str::to_owned).collect(),
        ));
    }

    fn add_mechanisms<'a>(&mut self, names: impl Iterator<Item = &'a str>) {
        for name in names {
            if let Ok(m) = MechanismName::new(name)
                && !self.auth.contains(&m)
            {
                self.auth.push(m);
            }
        }
    }

    /// The keyword lines a server advertises (without the first, greeting
    /// line), for [`Capabilities::to_ehlo_reply`]. Fixed order: SIZE,
    /// 8BITMIME, BINARYMIME, PIPELINING, CHUNKING, SMTPUTF8, DSN, STARTTLS,
    /// AUTH, ENHANCEDSTATUSCODES, REQUIRETLS, DELIVERBY, MT-PRIORITY, then
    /// `other` in order. `SIZE` with a limit of 0 is written `SIZE 0`, which
    /// reads back as no limit.
    pub fn to_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match self.size {
            Some(Some(n)) => lines.push(format!("SIZE {n}")),
            Some(None) => lines.push("SIZE".to_owned()),
            None => {}
        }
        for (on, name) in [
            (self.eight_bit_mime, "8BITMIME"),
            (self.binary_mime, "BINARYMIME"),
            (self.pipelining, "PIPELINING"),
            (self.chunking, "CHUNKING"),
            (self.smtputf8, "SMTPUTF8"),
            (self.dsn, "DSN"),
            (self.starttls, "STARTTLS"),
        ] {
            if on {
                lines.push(name.to_owned());
            }
        }
        if !self.auth.is_empty() {
            let mut line = "AUTH".to_owned();
            for m in &self.auth {
                line.push(' ');
                line.push_str(m.as_str());
            }
            lines.push(line);
        }
        if self.enhanced_status_codes {
            lines.push("ENHANCEDSTATUSCODES".to_owned());
        }
        if self.requiretls {
            lines.push("REQUIRETLS".to_owned());
        }
        match self.deliver_by {
            Some(Some(n)) => lines.push(format!("DELIVERBY {n}")),
            Some(None) => lines.push("DELIVERBY".to_owned()),
            None => {}
        }
        match &self.mt_priority {
            Some(Some(p)) => lines.push(format!("MT-PRIORITY {p}")),
            Some(None) => lines.push("MT-PRIORITY".to_owned()),
            None => {}
        }
        for (keyword, params) in &self.other {
            let mut line = keyword.clone();
            for p in params {
                line.push(' ');
                line.push_str(p);
            }
            lines.push(line);
        }
        lines
    }

    /// A complete `250` EHLO reply: `domain greeting` (or the domain alone
    /// when `greeting` is empty) then the keywords. Fails if the greeting
    /// or a keyword in `other` holds CR, LF or NUL.
    pub fn to_ehlo_reply(&self, domain: &Domain, greeting: &str) -> Result<Reply, ParseError> {
        let first = if greeting.is_empty() {
            domain.as_str().to_owned()
        } else {
            format!("{} {greeting}", domain.as_str())
        };
        let lines = std::iter::once(first).chain(self.to_lines());
        Reply::new(ReplyCode::OK, None, lines)
    }

    /// Whether the named SASL mechanism is offered.
    pub fn has_auth(&self, mechanism: &str) -> bool {
        self.auth
            .iter()
            .any(|m| m.as_str().eq_ignore_ascii_case(mechanism))
    }
}

/// `text` without an ASCII `prefix`, compared case-insensitively. Slices
/// only after a match, so a multi-byte character cannot be split.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.as_bytes().get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix.as_bytes()) {
        text.get(prefix.len()..)
    } else {
        None
    }
}
