//! Container endpoints.
