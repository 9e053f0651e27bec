//! API tests: each runs a real server over real HTTP against a fresh database, SQLite by
//! default or PostgreSQL when `BALCAO_TEST_DATABASE_URL` is set.

mod auth;
mod cli;
mod connections;
mod contacts;
mod custom_fields;
mod departments;
mod digisac;
mod digisac_replay;
mod directory;
mod errors;
mod events;
mod large;
mod media;
mod ops;
mod queries;
mod reusable;
mod search;
mod sorting;
mod tags;
mod tenancy;
mod tickets;
mod tokens;
mod users;
mod webhooks;
mod whatsapp;
