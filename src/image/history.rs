//! An image's history, as `history` and `GET /images/{name}/history` show it: one entry per
//! step of its config's history, newest first, with the size of the layer each step made.

use super::store::{self as images, Image};
use crate::store::Store;

pub struct Step {
    /// The image's own id on its newest step; older steps have no image of their own.
    pub image_id: Option<String>,
    /// RFC 3339, when the config says.
    pub created: Option<String>,
    pub created_by: String,
    /// Bytes of the layer the step made (0 for steps that made none).
    pub size: u64,
    pub comment: String,
}

/// The steps of `image`, newest first.
pub fn steps(store: &Store, image: &Image) -> Vec<Step> {
    let history = &image.config.history;
    // Entries that made a layer take the image's layers in order.
    let mut layers = image.diff_ids().iter();
    let mut steps: Vec<Step> = history
        .iter()
        .enumerate()
        .map(|(i, entry)| Step {
            image_id: (i + 1 == history.len()).then(|| image.id().to_string()),
            created: entry.created.clone(),
            created_by: entry.created_by.clone().unwrap_or_default(),
            size: match entry.empty_layer {
                true => 0,
                false => layers.next().map_or(0, |d| images::layer_size(store, d)),
            },
            comment: entry.comment.clone().unwrap_or_default(),
        })
        .collect();
    steps.reverse();
    steps
}
