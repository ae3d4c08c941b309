//! The SMTP server state machine.
