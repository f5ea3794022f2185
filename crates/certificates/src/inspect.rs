//! Reading a certificate PDF back: the text of its page and what its QR codes say.
//!
//! Tests use it to prove that the PDF a holder downloads parses and that its QR code leads to
//! the verification page; support staff can use it on a PDF someone sends in. It is a tiny
//! renderer: it paints only the filled black rectangles of the page (which is how [`crate::pdf`]
//! draws QR codes) and hands the bitmap to a QR decoder.

use lopdf::content::Content;
use lopdf::{Document, Object};

use crate::pdf::{HEIGHT, WIDTH};

/// Pixels per point when painting: three keeps the smallest QR module several pixels wide.
const SCALE: f32 = 3.0;

/// What a one-page certificate PDF holds.
#[derive(Debug, Clone)]
pub struct PageContents {
    /// The text-showing operators' strings, in drawing order, separated by newlines.
    pub text: String,
    /// The decoded contents of every QR code found on the page.
    pub qr_codes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("not a readable PDF: {0}")]
    Pdf(String),
    #[error("the PDF has {0} pages, expected 1")]
    Pages(usize),
}

/// Parses `pdf` and reads its single page.
pub fn read(pdf: &[u8]) -> Result<PageContents, InspectError> {
    let doc = Document::load_mem(pdf).map_err(|e| InspectError::Pdf(e.to_string()))?;
    let pages = doc.get_pages();
    let page = match pages.values().collect::<Vec<_>>()[..] {
        [page] => *page,
        _ => return Err(InspectError::Pages(pages.len())),
    };
    let content = doc.get_page_content(page);
    let ops = Content::decode(&content).map_err(|e| InspectError::Pdf(e.to_string()))?.operations;
    let text = ops
        .iter()
        .filter(|op| op.operator == "Tj")
        .filter_map(|op| match op.operands.first() {
            Some(Object::String(bytes, _)) => Some(bytes.iter().map(|&b| char::from(b)).collect::<String>()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (w, h, img) = paint_black_fills(&ops);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img[y * w + x]);
    let qr_codes = prepared.detect_grids().iter().filter_map(|g| g.decode().ok()).map(|(_, s)| s).collect();
    Ok(PageContents { text, qr_codes })
}

fn num(o: &Object) -> f32 {
    o.as_float().unwrap_or_else(|_| o.as_i64().unwrap_or(0) as f32)
}

/// Paints the rectangles filled while the fill colour is black onto a white bitmap.
fn paint_black_fills(ops: &[lopdf::content::Operation]) -> (usize, usize, Vec<u8>) {
    let (w, h) = ((WIDTH * SCALE) as usize, (HEIGHT * SCALE) as usize);
    let mut img = vec![255u8; w * h];
    let (mut black, mut path) = (false, Vec::new());
    // Pixel rows count down from the top; PDF's y axis counts up from the bottom.
    let px = |v: f32| (v * SCALE).round().max(0.0) as usize;
    for op in ops {
        match op.operator.as_str() {
            "rg" => black = op.operands.iter().all(|o| num(o) == 0.0),
            "re" if op.operands.len() == 4 => path.push([0, 1, 2, 3].map(|i| num(&op.operands[i]))),
            "f" if black => {
                for [x, y, rw, rh] in path.drain(..) {
                    for row in px(HEIGHT - y - rh)..px(HEIGHT - y).min(h) {
                        for col in px(x)..px(x + rw).min(w) {
                            img[row * w + col] = 0;
                        }
                    }
                }
            }
            "f" | "S" | "n" => path.clear(),
            _ => {}
        }
    }
    (w, h, img)
}
