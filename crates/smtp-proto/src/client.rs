//! The SMTP client state machine.
