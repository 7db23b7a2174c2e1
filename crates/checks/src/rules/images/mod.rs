//! Images: tags, digests, pull policy and registries.

use crate::rule::Rule;
use crate::util::ImageRef;

pub mod image_missing;
pub mod image_pull_policy_not_always;
pub mod image_tag_mutable;
pub mod image_without_digest;
pub mod untrusted_registry;

/// The rules of this area, in code order.
pub static RULES: &[&Rule] = &[
    &image_tag_mutable::RULE,
    &image_without_digest::RULE,
    &image_pull_policy_not_always::RULE,
    &untrusted_registry::RULE,
    &image_missing::RULE,
];

/// Whether the image is pinned by a well-formed content digest: `sha256:` followed by 64
/// lowercase hex digits, or `sha512:` followed by 128. Anything else after `@` cannot be pulled
/// and pins nothing.
pub(crate) fn pinned(image: &ImageRef<'_>) -> bool {
    let Some(digest) = image.digest else {
        return false;
    };
    let (len, hex) = match digest.split_once(':') {
        Some(("sha256", hex)) => (64, hex),
        Some(("sha512", hex)) => (128, hex),
        _ => return false,
    };
    hex.len() == len
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The image of a container when it is a non-blank string.
pub(crate) fn image_text<'a>(c: &kubecomply_core::pod::Container<'a>) -> Option<&'a str> {
    crate::util::image_of(c).filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::parse_image;

    #[test]
    fn digests() {
        let d = "a".repeat(64);
        assert!(pinned(&parse_image(&format!("app@sha256:{d}"))));
        assert!(!pinned(&parse_image("app@sha256:abc")));
        assert!(!pinned(&parse_image(&format!(
            "app@sha256:{}",
            "A".repeat(64)
        ))));
        assert!(pinned(&parse_image(&format!(
            "app@sha512:{}",
            "0".repeat(128)
        ))));
        assert!(!pinned(&parse_image("app:1.0")));
    }
}
