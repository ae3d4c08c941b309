//! Sans-IO POP3 (RFC 1939): under construction.
