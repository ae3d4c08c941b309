//! Composing messages: under construction.
