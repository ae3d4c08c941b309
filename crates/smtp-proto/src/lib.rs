//! Sans-IO SMTP, ESMTP and LMTP (WORK IN PROGRESS: the crate docs are
//! written when the client and server machines land).

mod capability;
mod command;
mod error;
mod grammar;
mod mailbox;
mod params;
mod reply;
mod xtext;

pub mod client;
pub mod server;

pub use capability::Capabilities;
pub use command::{Argument, AuthResponse, ClientId, Command, MechanismName};
pub use error::{ParseError, ParseErrorKind};
pub use mailbox::{
    AddressLiteral, Domain, ForwardPath, Host, LocalPart, MAX_DOMAIN, MAX_LOCAL_PART, MAX_PATH,
    Mailbox, ReversePath,
};
pub use params::{
    AuthParameter, Body, DeliverBy, DeliverByMode, MailParameters, Notify, OriginalRecipient,
    Parameter, RcptParameters, Ret,
};
pub use reply::{EnhancedStatusCode, Reply, ReplyCode, ReplyParser};
