//! balcao-testkit
