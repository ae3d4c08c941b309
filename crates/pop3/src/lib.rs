//! Async POP3 client and server: under construction.
