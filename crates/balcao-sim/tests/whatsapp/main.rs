//! End-to-end tests of the WhatsApp Cloud API simulator, over real HTTP on loopback.

mod common;
mod control;
mod graph;
mod webhooks;
