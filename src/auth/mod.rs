//! Authentication and guards decided in Rust before any Python runs (fail closed).

pub mod apikey;
pub mod authenticate;
pub mod csrf;
pub mod guard;
pub mod jwks;
pub mod jwt;
pub mod verified;
