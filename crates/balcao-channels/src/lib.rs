//! Balcão's channel connectors: each channel's wire format turned into Balcão's terms
//! (`balcao_core::inbound`), and the clients that talk to the channel's API. No business
//! rules live here: what a message does to a ticket is the service layer's decision.

pub mod whatsapp;
