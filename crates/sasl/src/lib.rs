//! SASL (placeholder until the sasl crate lands).
