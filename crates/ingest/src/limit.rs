//! Applying the domain's size limits ([`dailypapers_domain::limits`]) to each
//! record a source read: a record over a rejecting limit is refused, and what
//! was cut from a kept one is logged with the record's location.

use dailypapers_domain::Listing;
use dailypapers_domain::limits::{self, Oversize};

/// `listing` within every limit, or the limit it breaks. Each cut is logged
/// as a warning naming `location` and the paper.
pub(crate) fn within_limits(mut listing: Listing, location: &str) -> Result<Listing, Oversize> {
    let cuts = limits::enforce(&mut listing)?;
    for cut in cuts {
        tracing::warn!(
            "{location} ({}): {cut}; the record was kept",
            listing.paper.id
        );
    }
    Ok(listing)
}
