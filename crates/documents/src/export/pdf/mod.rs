//! PDF, typeset by Typst used as a library: the block model is written as Typst markup
//! ([`markup`]), compiled in a closed world ([`world`]) against the installed fonts
//! ([`fonts`]), and exported with `typst-pdf`, which embeds subsets of the fonts used.
//! Typst does the shaping (HarfBuzz's rules, via rustybuzz), bidirectional text, line
//! breaking for every script (ICU's segmenter) and font fallback; why Typst rather than
//! a PDF writer alone is in docs/export-formats.md.

mod fonts;
mod markup;
mod world;

pub use fonts::Fonts;

use super::blocks::Block;
use super::images::Images;
use typst::diag::SourceDiagnostic;
use typst_layout::PagedDocument;

/// Renders blocks as a PDF file, with the document's own images (`images`) embedded.
pub fn render(
    title: &str,
    blocks: &[Block],
    images: &Images,
    fonts: &Fonts,
) -> anyhow::Result<Vec<u8>> {
    let found = fonts.get();
    let missing = |c: char| !found.covers(c);
    let markup = markup::write(title, blocks, images, true, &missing);
    let result = typeset(&markup, found);
    let result = match result {
        // An image Typst cannot decode (its type was sniffed on upload, but the bytes
        // may still be broken) must not cost the whole export: show images as links.
        Err(error) if !markup.images.is_empty() => {
            tracing::warn!(%error, "typesetting with images failed; exporting them as links");
            typeset(
                &markup::write(title, blocks, images, false, &missing),
                found,
            )
        }
        other => other,
    };
    // Typst memoizes layout work across compilations; a server exporting unrelated
    // documents gains nothing from keeping it, and would keep every document's layout.
    typst::comemo::evict(0);
    result
}

fn typeset(markup: &markup::Markup, fonts: &fonts::Found) -> anyhow::Result<Vec<u8>> {
    let document = compile(markup, fonts)?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|errors| anyhow::anyhow!("writing the PDF failed: {}", describe(&errors)))
}

fn compile(markup: &markup::Markup, fonts: &fonts::Found) -> anyhow::Result<PagedDocument> {
    let world = world::ExportWorld::new(markup, fonts);
    typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|errors| anyhow::anyhow!("typesetting failed: {}", describe(&errors)))
}

fn describe(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::super::blocks::parse;
    use super::*;

    fn system_fonts() -> Fonts {
        Fonts::new(vec!["/usr/share/fonts".into()])
    }

    #[test]
    fn a_document_becomes_a_pdf_with_pages_numbered() {
        let md: String = (0..120)
            .map(|i| format!("Paragraph {i} with some words in it, enough to wrap a line or two when it is set on an A4 page.\n\n"))
            .collect();
        let fonts = system_fonts();
        let markup = markup::write("Long", &parse(&md), &Images::none(), true, &|_| false);
        let document = compile(&markup, fonts.get()).unwrap();
        assert!(
            document.pages().len() >= 3,
            "{} pages",
            document.pages().len()
        );
        let pdf = render("Long", &parse(&md), &Images::none(), &fonts).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn markup_in_the_text_cannot_reach_typst() {
        // Would read a file, or fail to compile, if it were evaluated.
        let md = "#read(\"/etc/passwd\") #import \"@preview/x:1.0.0\" ] [ } { $ \\\n";
        assert!(render("#panic()", &parse(md), &Images::none(), &system_fonts()).is_ok());
    }
}
