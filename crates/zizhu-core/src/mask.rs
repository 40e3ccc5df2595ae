//! Masking of sensitive personal data for notices and logs.

pub fn mask_id(_s: &str) -> String {
    String::new()
}
pub fn mask_bank(_s: &str) -> String {
    String::new()
}
pub fn mask_phone(_s: &str) -> String {
    String::new()
}
pub fn mask_address(_s: &str) -> String {
    String::new()
}
pub fn mask_name(_s: &str) -> String {
    String::new()
}
