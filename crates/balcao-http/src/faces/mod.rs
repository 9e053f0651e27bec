//! Vendor-compatible faces: each serves a vendor's public API in that vendor's wire format,
//! on top of the same service layer as the native API.

pub mod digisac;
