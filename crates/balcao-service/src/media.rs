//! Media: storing files (uploaded, or inline in a message as base64) and handing them to the
//! users of their account.

use std::path::PathBuf;

use balcao_core::media::is_valid_mime;
use balcao_core::{Media, MediaId, Timestamp, Validator};
use balcao_store::media;
use balcao_store::media::{FileError, FileWriter, StoredFile};

use crate::{Principal, Result, Service, ServiceError};

/// Largest file accepted at all (documents); each message type has its own lower limit.
pub const MEDIA_MAX: u64 = 100 * 1024 * 1024;
const FILE_NAME_MAX: usize = 255;

impl From<FileError> for ServiceError {
    fn from(err: FileError) -> Self {
        match err {
            FileError::TooLarge { limit } => ServiceError::TooLarge { limit },
            FileError::Io(e) => ServiceError::internal(e),
        }
    }
}

/// A file name as it may be stored and shown: no path, no control characters, bounded.
fn clean_file_name(name: Option<&str>) -> Option<String> {
    let name = name?.rsplit(['/', '\\']).next()?.trim();
    let cleaned: String = name.chars().filter(|c| !c.is_control()).take(FILE_NAME_MAX).collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

pub(crate) fn check_mime(v: &mut Validator, field: &str, mime: Option<&str>) -> Option<String> {
    let mime = v.required(field, mime)?.trim().to_ascii_lowercase();
    if is_valid_mime(mime.split(';').next().unwrap_or_default().trim()) {
        Some(mime)
    } else {
        v.add(field, "invalid", format!("`{field}` is not a MIME type"));
        None
    }
}

impl Service {
    /// A writer for an upload of at most [`MEDIA_MAX`] bytes; feed it and pass it to
    /// [`Service::save_upload`].
    pub async fn media_writer(&self) -> Result<FileWriter> {
        self.inner.media.writer(MEDIA_MAX).await.map_err(ServiceError::internal)
    }

    /// Records an uploaded file for the caller's account.
    pub async fn save_upload(
        &self,
        who: &Principal,
        file: FileWriter,
        mime: Option<&str>,
        file_name: Option<&str>,
    ) -> Result<Media> {
        let mut v = Validator::new();
        let mime = check_mime(&mut v, "mime_type", mime);
        v.finish()?;
        let stored = file.finish().await?;
        let media = describe(who, stored, mime.unwrap_or_default(), clean_file_name(file_name));
        media::insert(&mut self.store().write(), &media).await?;
        Ok(media)
    }

    /// Stores `bytes` (a message's inline file) and describes them; the caller inserts the
    /// row with the message.
    pub(crate) async fn store_inline(
        &self,
        who: &Principal,
        bytes: &[u8],
        mime: String,
        file_name: Option<&str>,
        limit: u64,
    ) -> Result<Media> {
        let stored = self.inner.media.put(bytes, limit).await?;
        Ok(describe(who, stored, mime, clean_file_name(file_name)))
    }

    pub async fn get_media(&self, who: &Principal, id: MediaId) -> Result<Media> {
        media::get(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("media"))
    }

    /// A media's description and the path of its file, for the users of its account.
    pub async fn media_file(&self, who: &Principal, id: MediaId) -> Result<(Media, PathBuf)> {
        let media = self.get_media(who, id).await?;
        let path = self
            .inner
            .media
            .path_of(&media.sha256)
            .ok_or_else(|| ServiceError::Internal(format!("bad digest in media {}", media.id).into()))?;
        Ok((media, path))
    }
}

fn describe(who: &Principal, stored: StoredFile, mime_type: String, file_name: Option<String>) -> Media {
    Media {
        id: MediaId::new(),
        account_id: who.account_id,
        sha256: stored.sha256,
        mime_type,
        size: i64::try_from(stored.size).unwrap_or(i64::MAX),
        file_name,
        created_at: Timestamp::now(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_lose_paths_and_controls() {
        assert_eq!(
            super::clean_file_name(Some("../../etc/passwd")).as_deref(),
            Some("passwd")
        );
        assert_eq!(
            super::clean_file_name(Some("C:\\docs\\nota\u{7}.pdf")).as_deref(),
            Some("nota.pdf")
        );
        assert_eq!(super::clean_file_name(Some("  ")), None);
    }
}
