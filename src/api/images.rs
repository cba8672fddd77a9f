//! Image endpoints.
