//! Push-style streaming parsing: under construction.
