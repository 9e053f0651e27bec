//! How long one trip to an SQLite connection's thread takes: the time of `SELECT 1` on an
//! in-memory database through the driver, a statement that costs SQLite itself well under a
//! microsecond, so what is timed is the hand-off to the connection's thread and back.
//!
//! ```sh
//! cargo run --release --example sqlite_trip                  # threads free to run on any core
//! taskset -c 0 target/release/examples/sqlite_trip           # every thread on one core
//! ```
//! Each statement of a transaction pays one such trip, which is why the inbound path counts
//! its statements (see docs/benchmarks.md).

use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:").await?;
    let n = 20_000;
    for round in 1..=3 {
        let started = Instant::now();
        for _ in 0..n {
            let _: i64 = sqlx::query_scalar("SELECT 1").fetch_one(&mut conn).await?;
        }
        let per = started.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        println!("round {round}: {per:.1} µs per trip ({n} statements)");
    }
    Ok(())
}
