//! The QR code of a verification link, as a grid of modules (for the PDF) and as SVG (for the
//! certificate page). One encoder for both, so the printed code and the on-screen code are the
//! same picture of the same link.

/// The link does not fit in a QR code (it would have to be thousands of characters).
#[derive(Debug, thiserror::Error)]
#[error("the verification URL does not fit in a QR code")]
pub struct QrTooLong;

/// A QR code: `width` × `width` modules, row by row, `true` for dark.
pub struct Matrix {
    pub width: usize,
    pub dark: Vec<bool>,
}

/// Modules of quiet zone on each side, as the QR standard asks.
pub const QUIET_ZONE: usize = 4;

/// Encodes `url` with error correction level M (15 %): enough for a scuffed printout, small
/// enough for a phone camera at arm's length.
pub fn matrix(url: &str) -> Result<Matrix, QrTooLong> {
    let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M).map_err(|_| QrTooLong)?;
    let width = code.width();
    let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
    Ok(Matrix { width, dark })
}

/// `url` as a standalone SVG image, black on white with the quiet zone, scaling to any size.
/// `label` becomes the image's accessible name.
pub fn svg(url: &str, label: &str) -> Result<String, QrTooLong> {
    let m = matrix(url)?;
    let side = m.width + 2 * QUIET_ZONE;
    // One path of unit squares: a few kilobytes, crisp at any zoom (`crispEdges` keeps the
    // modules from blurring into each other on low-density screens).
    let mut path = String::with_capacity(m.dark.len() * 4);
    for (i, _) in m.dark.iter().enumerate().filter(|(_, d)| **d) {
        let (x, y) = (i % m.width + QUIET_ZONE, i / m.width + QUIET_ZONE);
        path.push_str(&format!("M{x} {y}h1v1h-1z"));
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" role="img" aria-label="{label}" shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##,
        label = penkom_core::html::escape(label)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_draws_the_matrix_of_the_link() {
        let url = "https://penkom.example.go.id/v/ABCDEFGHJK5";
        let m = matrix(url).unwrap();
        assert!(m.width >= 21 && m.dark.len() == m.width * m.width);
        let svg = svg(url, "Kode QR <verifikasi>").unwrap();
        let squares = svg.matches("h1v1h-1z").count();
        assert_eq!(squares, m.dark.iter().filter(|d| **d).count());
        assert!(svg.contains(&format!("viewBox=\"0 0 {s} {s}\"", s = m.width + 8)));
        assert!(svg.contains("aria-label=\"Kode QR &lt;verifikasi&gt;\""));
        assert!(matrix(&"x".repeat(5000)).is_err());
    }
}
