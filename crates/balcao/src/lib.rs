//! The `balcao` binary's library side: configuration, and the server assembled from the
//! store, the service layer and the HTTP faces (also used by the test kit).

pub mod bench;
pub mod demo;
pub mod seed;
pub mod server;
pub mod settings;

pub use server::{Server, start};
pub use settings::Settings;
