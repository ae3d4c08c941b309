//! Delivery status notifications (RFC 3464): the `message/delivery-status`
//! body of a `multipart/report` (RFC 6522) as typed per-recipient results.

use crate::header::{Headers, split_header_block};
use crate::{Defect, Limits};

/// The `action-field` of a per-recipient block (RFC 3464 §2.3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `failed`: the message could not be delivered.
    Failed,
    /// `delayed`: delivery is still being tried.
    Delayed,
    /// `delivered`: delivered to the recipient.
    Delivered,
    /// `relayed`: passed on to a system that sends no DSNs.
    Relayed,
    /// `expanded`: delivered and forwarded to more recipients.
    Expanded,
    /// Anything else, lower-cased.
    Other(String),
}

impl Action {
    fn parse(v: &str) -> Action {
        match v.trim().to_ascii_lowercase().as_str() {
            "failed" => Action::Failed,
            "delayed" => Action::Delayed,
            "delivered" => Action::Delivered,
            "relayed" => Action::Relayed,
            "expanded" => Action::Expanded,
            other => Action::Other(other.to_owned()),
        }
    }
}

/// One recipient's result (RFC 3464 §2.3). Typed values (`rfc822;addr`,
/// `smtp; 550 ...`, `dns; host`) are given without their type prefix.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecipientStatus {
    /// `Final-Recipient` (§2.3.2), the address.
    pub final_recipient: Option<String>,
    /// `Original-Recipient` (§2.3.1), the address.
    pub original_recipient: Option<String>,
    /// `Action` (§2.3.3).
    pub action: Option<Action>,
    /// `Status` (§2.3.4), an RFC 3463 code such as `5.1.1`.
    pub status: Option<String>,
    /// `Remote-MTA` (§2.3.5), the host.
    pub remote_mta: Option<String>,
    /// `Diagnostic-Code` (§2.3.6), the text after the type (`550 5.1.1 No such user`).
    pub diagnostic_code: Option<String>,
    /// `Last-Attempt-Date` (§2.3.7), as written.
    pub last_attempt_date: Option<String>,
    /// `Will-Retry-Until` (§2.3.9), as written.
    pub will_retry_until: Option<String>,
}

impl RecipientStatus {
    /// The class digit of [`RecipientStatus::status`]: 2 success, 4 transient, 5 permanent (RFC 3463 §3.1).
    pub fn status_class(&self) -> Option<u8> {
        let s = self.status.as_deref()?.trim();
        match s.as_bytes().first() {
            Some(c @ b'2'..=b'5') => Some(c - b'0'),
            _ => None,
        }
    }
}

/// A parsed `message/delivery-status` body (RFC 3464 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryStatus {
    /// `Reporting-MTA` (§2.2.2), the host.
    pub reporting_mta: Option<String>,
    /// `Original-Envelope-Id` (§2.2.1).
    pub original_envelope_id: Option<String>,
    /// `Arrival-Date` (§2.2.5), as written.
    pub arrival_date: Option<String>,
    /// One entry per per-recipient block, in order.
    pub recipients: Vec<RecipientStatus>,
    /// Defects found while splitting the blocks.
    pub defects: Vec<Defect>,
}

fn field(headers: &Headers<'_>, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|h| String::from_utf8_lossy(&h.value()).into_owned())
}

/// Drops the `type;` prefix of a typed value (`rfc822; a@b` -> `a@b`).
fn typed(v: Option<String>) -> Option<String> {
    v.map(|s| match s.split_once(';') {
        Some((_, rest)) => rest.trim().to_owned(),
        None => s.trim().to_owned(),
    })
}

impl DeliveryStatus {
    /// Parses a delivery-status body (already transfer-decoded): header-like
    /// blocks separated by empty lines, the first per-message (§2.2), the
    /// rest per-recipient (§2.3).
    pub fn parse(body: &[u8]) -> DeliveryStatus {
        let mut defects = Vec::new();
        let mut blocks = Vec::new();
        let mut pos = 0;
        let limits = Limits::default();
        while pos < body.len() {
            // Skip empty lines between blocks.
            while pos < body.len() && matches!(body[pos], b'\r' | b'\n') {
                pos += 1;
            }
            if pos >= body.len() {
                break;
            }
            let Ok(split) = split_header_block(body, pos..body.len(), &limits, &mut defects) else {
                break;
            };
            if split.body_start <= pos {
                break;
            }
            if !split.headers.is_empty() {
                blocks.push(split.headers);
            }
            pos = split.body_start;
        }
        let mut report = DeliveryStatus {
            defects,
            ..DeliveryStatus::default()
        };
        let mut blocks = blocks.into_iter();
        if let Some(first) = blocks.next() {
            report.reporting_mta = typed(field(&first, "reporting-mta"));
            report.original_envelope_id = field(&first, "original-envelope-id");
            report.arrival_date = field(&first, "arrival-date");
        }
        for b in blocks {
            report.recipients.push(RecipientStatus {
                final_recipient: typed(field(&b, "final-recipient")),
                original_recipient: typed(field(&b, "original-recipient")),
                action: field(&b, "action").map(|a| Action::parse(&a)),
                status: field(&b, "status").map(|s| s.trim().to_owned()),
                remote_mta: typed(field(&b, "remote-mta")),
                diagnostic_code: typed(field(&b, "diagnostic-code")),
                last_attempt_date: field(&b, "last-attempt-date"),
                will_retry_until: field(&b, "will-retry-until"),
            });
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_recipient_results_rfc3464_2_3() {
        let body = b"Reporting-MTA: dns; mx.example.com\r\nArrival-Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n\r\n\
Final-Recipient: rfc822; bob@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\
Remote-MTA: dns; mail.example.org\r\nDiagnostic-Code: smtp; 550 5.1.1 No such\r\n user\r\n\r\n\
Original-Recipient: rfc822;carol@example.net\r\nFinal-Recipient: RFC822; carol@example.net\r\nAction: Delayed\r\nStatus: 4.4.1\r\n";
        let r = DeliveryStatus::parse(body);
        assert_eq!(r.reporting_mta.as_deref(), Some("mx.example.com"));
        assert_eq!(r.recipients.len(), 2);
        let bob = &r.recipients[0];
        assert_eq!(bob.final_recipient.as_deref(), Some("bob@example.org"));
        assert_eq!(bob.action, Some(Action::Failed));
        assert_eq!(bob.status_class(), Some(5));
        assert_eq!(
            bob.diagnostic_code.as_deref(),
            Some("550 5.1.1 No such user")
        );
        assert_eq!(bob.remote_mta.as_deref(), Some("mail.example.org"));
        let carol = &r.recipients[1];
        assert_eq!(carol.action, Some(Action::Delayed));
        assert_eq!(
            carol.original_recipient.as_deref(),
            Some("carol@example.net")
        );
        assert_eq!(carol.status.as_deref(), Some("4.4.1"));
    }

    #[test]
    fn garbage_body_gives_no_recipients() {
        let r = DeliveryStatus::parse(b"\xff\xfe garbage\n\n\n");
        assert!(r.recipients.is_empty());
    }
}
