//! Media: the rows describing files, and the content-addressed file store under the data
//! folder (`media/ab/cd/abcd…` by SHA-256), which keeps one copy of each content.
//!
//! A file is written to a temporary name, flushed to disk and renamed into place before the
//! row that names it is committed, so a row never points at a missing file (a crash in between
//! leaves at worst an unreferenced file).

use std::io;
use std::path::PathBuf;

use balcao_core::{AccountId, Media, MediaId, Timestamp};
use sea_query::{Expr, Iden, Query};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::db::{execute, fetch_optional};
use crate::{Exec, Result};

#[derive(Iden, Clone, Copy)]
enum MediaTable {
    #[iden = "media"]
    Table,
    Id,
    AccountId,
    Sha256,
    MimeType,
    Size,
    FileName,
    CreatedAt,
}

const COLUMNS: [MediaTable; 7] = [
    MediaTable::Id,
    MediaTable::AccountId,
    MediaTable::Sha256,
    MediaTable::MimeType,
    MediaTable::Size,
    MediaTable::FileName,
    MediaTable::CreatedAt,
];

#[derive(sqlx::FromRow)]
struct MediaRow {
    id: Uuid,
    account_id: Uuid,
    sha256: String,
    mime_type: String,
    size: i64,
    file_name: Option<String>,
    created_at: i64,
}

pub async fn insert(db: &mut impl Exec, m: &Media) -> Result<()> {
    let stmt = Query::insert()
        .into_table(MediaTable::Table)
        .columns(COLUMNS)
        .values_panic([
            m.id.0.into(),
            m.account_id.0.into(),
            m.sha256.clone().into(),
            m.mime_type.clone().into(),
            m.size.into(),
            m.file_name.clone().into(),
            m.created_at.micros().into(),
        ])
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

pub async fn get(db: &mut impl Exec, account: AccountId, id: MediaId) -> Result<Option<Media>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(MediaTable::Table)
        .and_where(Expr::col(MediaTable::AccountId).eq(account.0))
        .and_where(Expr::col(MediaTable::Id).eq(id.0))
        .to_owned();
    let row: Option<MediaRow> = fetch_optional(db, &stmt).await?;
    Ok(row.map(|r| Media {
        id: MediaId(r.id),
        account_id: AccountId(r.account_id),
        sha256: r.sha256,
        mime_type: r.mime_type,
        size: r.size,
        file_name: r.file_name,
        created_at: Timestamp::from_micros(r.created_at),
    }))
}

/// The content-addressed file store.
#[derive(Clone, Debug)]
pub struct MediaFiles {
    root: PathBuf,
}

/// A file written into the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub size: u64,
}

/// Why a file could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error(transparent)]
    Io(#[from] io::Error),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl MediaFiles {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Where the file of `sha256` lives; `None` for anything but 64 lowercase hex digits.
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| self.root.join(&sha256[..2]).join(&sha256[2..4]).join(sha256))
    }

    /// Starts writing a file of at most `limit` bytes.
    pub async fn writer(&self, limit: u64) -> io::Result<FileWriter> {
        let tmp_dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir).await?;
        let tmp = tmp_dir.join(Uuid::now_v7().to_string());
        let file = tokio::fs::File::create(&tmp).await?;
        Ok(FileWriter {
            files: self.clone(),
            file: Some(file),
            tmp,
            hasher: Sha256::new(),
            size: 0,
            limit,
            done: false,
        })
    }

    /// Stores `bytes` whole.
    pub async fn put(&self, bytes: &[u8], limit: u64) -> Result<StoredFile, FileError> {
        let mut w = self.writer(limit).await?;
        w.write(bytes).await?;
        w.finish().await
    }
}

/// A file being written: hashed and size-checked as it goes; removed unless finished.
pub struct FileWriter {
    files: MediaFiles,
    file: Option<tokio::fs::File>,
    tmp: PathBuf,
    hasher: Sha256,
    size: u64,
    limit: u64,
    done: bool,
}

impl FileWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), FileError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(FileError::TooLarge { limit: self.limit });
        }
        self.hasher.update(chunk);
        match self.file.as_mut() {
            Some(f) => f.write_all(chunk).await?,
            None => return Err(FileError::Io(io::Error::other("file already finished"))),
        }
        Ok(())
    }

    /// Flushes the file to disk and moves it to its content address.
    pub async fn finish(mut self) -> Result<StoredFile, FileError> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("file already finished"))?;
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        let sha256 = hex(&std::mem::take(&mut self.hasher).finalize());
        let target = self
            .files
            .path_of(&sha256)
            .ok_or_else(|| io::Error::other("bad digest"))?;
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        if tokio::fs::try_exists(&target).await? {
            tokio::fs::remove_file(&self.tmp).await?;
        } else {
            tokio::fs::rename(&self.tmp, &target).await?;
        }
        self.done = true;
        Ok(StoredFile {
            sha256,
            size: self.size,
        })
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_content_addressed_and_limited() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = MediaFiles::new(dir.path().join("media"));
        let a = files.put(b"hello", 10).await.expect("stored");
        assert_eq!(
            a.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        let path = files.path_of(&a.sha256).expect("path");
        assert_eq!(std::fs::read(&path).expect("file"), b"hello");
        let b = files.put(b"hello", 10).await.expect("stored again");
        assert_eq!(a, b, "one copy per content");
        assert!(matches!(
            files.put(b"far too long", 5).await,
            Err(FileError::TooLarge { limit: 5 })
        ));
        let leftovers = std::fs::read_dir(dir.path().join("media/tmp")).expect("tmp").count();
        assert_eq!(leftovers, 0, "unfinished files are removed");
        assert_eq!(files.path_of("../../etc/passwd"), None);
    }
}
