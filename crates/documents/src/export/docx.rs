//! Word documents (Office Open XML), written directly: a handful of XML parts in a zip.

use super::blocks::{Block, Kind, Run};
use super::images::{Image, Images};
use std::io::Write;

/// What the document part refers to, collected as it is written: link targets and the
/// images embedded.
struct Package<'a> {
    links: Vec<String>,
    images: &'a Images,
    media: Vec<(&'a Image, &'static str)>,
}

/// An image's pixel size, from its header (PNG, GIF, JPEG); `None` if it cannot be read,
/// and then it stays a link.
fn pixel_size(image: &Image) -> Option<(u32, u32)> {
    let b = &image.bytes[..];
    let be16 = |i: usize| {
        b.get(i..i + 2)
            .map(|s| u32::from(u16::from_be_bytes([s[0], s[1]])))
    };
    let le16 = |i: usize| {
        b.get(i..i + 2)
            .map(|s| u32::from(u16::from_le_bytes([s[0], s[1]])))
    };
    let be32 = |i: usize| {
        b.get(i..i + 4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    };
    let size = match image.content_type.as_str() {
        "image/png" => (be32(16)?, be32(20)?),
        "image/gif" => (le16(6)?, le16(8)?),
        "image/jpeg" => {
            // The first start-of-frame marker holds the size.
            let mut i = 2;
            loop {
                let marker = *b.get(i + 1)?;
                let len = be16(i + 2)? as usize;
                if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
                    break (be16(i + 7)?, be16(i + 5)?);
                }
                i += 2 + len;
            }
        }
        _ => return None,
    };
    (size.0 > 0 && size.1 > 0).then_some(size)
}

/// The drawing of embedded image `n` (1-based) at its size, at most the text width.
fn drawing(n: usize, (w, h): (u32, u32), alt: &str) -> String {
    // 96 pixels to the inch, 914,400 EMU to the inch; the text is 17 cm wide.
    const EMU_PER_PX: u64 = 9525;
    const MAX_WIDTH: u64 = 6_120_000;
    let (mut cx, mut cy) = (u64::from(w) * EMU_PER_PX, u64::from(h) * EMU_PER_PX);
    if cx > MAX_WIDTH {
        cy = cy * MAX_WIDTH / cx;
        cx = MAX_WIDTH;
    }
    let alt = xml(alt);
    format!(
        "<w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\">\
         <wp:extent cx=\"{cx}\" cy=\"{cy}\"/><wp:docPr id=\"{n}\" name=\"Picture {n}\" descr=\"{alt}\"/>\
         <a:graphic xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\">\
         <a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">\
         <pic:pic xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">\
         <pic:nvPicPr><pic:cNvPr id=\"{n}\" name=\"image{n}\" descr=\"{alt}\"/><pic:cNvPicPr/></pic:nvPicPr>\
         <pic:blipFill><a:blip r:embed=\"rIdImage{n}\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>\
         <pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm>\
         <a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>\
         </wp:inline></w:drawing></w:r>"
    )
}

/// The file extension of an embedded image type.
fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => "png",
        "image/gif" => "gif",
        _ => "jpeg",
    }
}

/// Escapes text for XML, dropping characters XML 1.0 cannot hold.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

const BULLETS: u32 = 1;
const NUMBERS: u32 = 2;

fn run_xml(run: &Run) -> String {
    if run.text == "\n" {
        return "<w:r><w:br/></w:r>".into();
    }
    let mut props = String::new();
    if run.bold {
        props.push_str("<w:b/>");
    }
    if run.italic {
        props.push_str("<w:i/>");
    }
    if run.code {
        props.push_str("<w:rStyle w:val=\"VerbatimChar\"/>");
    }
    if run.link.is_some() {
        props.push_str("<w:rStyle w:val=\"Hyperlink\"/>");
    }
    let mut out = String::from("<w:r>");
    if !props.is_empty() {
        out.push_str(&format!("<w:rPr>{props}</w:rPr>"));
    }
    // Tabs come from table cells; Word wants them as elements.
    for (i, part) in run.text.split('\t').enumerate() {
        if i > 0 {
            out.push_str("<w:tab/>");
        }
        out.push_str(&format!("<w:t xml:space=\"preserve\">{}</w:t>", xml(part)));
    }
    out.push_str("</w:r>");
    out
}

fn paragraph(block: &Block, package: &mut Package<'_>) -> String {
    paragraph_of(block.kind, &block.runs, package)
}

/// One `w:p` of `runs`, styled as a block of `kind`.
fn paragraph_of(kind: Kind, runs: &[Run], package: &mut Package<'_>) -> String {
    let props = match kind {
        Kind::Paragraph => String::new(),
        Kind::Heading(level) => format!("<w:pStyle w:val=\"Heading{level}\"/>"),
        Kind::Code => "<w:pStyle w:val=\"SourceCode\"/>".into(),
        Kind::Quote => "<w:pStyle w:val=\"Quote\"/>".into(),
        Kind::Item { depth, number } => format!(
            "<w:pStyle w:val=\"ListParagraph\"/><w:numPr><w:ilvl w:val=\"{}\"/><w:numId w:val=\"{}\"/></w:numPr>",
            depth.min(8),
            if number.is_some() { NUMBERS } else { BULLETS }
        ),
        Kind::Row { header: false } => "<w:pStyle w:val=\"TableText\"/>".into(),
        Kind::Row { header: true } => "<w:pStyle w:val=\"TableHeading\"/>".into(),
    };
    let mut out = String::from("<w:p>");
    if !props.is_empty() {
        out.push_str(&format!("<w:pPr>{props}</w:pPr>"));
    }
    // An embedded image replaces its `[image: url]` note, and its alt text goes into it.
    let mut embedded = false;
    for (i, run) in runs.iter().enumerate() {
        if run.alt && embedded {
            continue;
        }
        embedded = false;
        if let Some(image) = run.image.as_deref().and_then(|url| package.images.get(url))
            && let Some(size) = pixel_size(image)
        {
            let alt: String = runs[i + 1..]
                .iter()
                .take_while(|r| r.alt)
                .map(|r| r.text.as_str())
                .collect();
            package.media.push((image, extension(&image.content_type)));
            out.push_str(&drawing(package.media.len(), size, &alt));
            embedded = true;
            continue;
        }
        match &run.link {
            Some(url) => {
                package.links.push(url.clone());
                out.push_str(&format!(
                    "<w:hyperlink r:id=\"rIdLink{}\">{}</w:hyperlink>",
                    package.links.len(),
                    run_xml(run)
                ));
            }
            None => out.push_str(&run_xml(run)),
        }
    }
    out.push_str("</w:p>");
    out
}

fn document_xml(title: &str, blocks: &[Block], package: &mut Package<'_>) -> String {
    let mut body = String::new();
    let title_block = Block {
        kind: Kind::Heading(0),
        runs: vec![Run {
            text: title.to_owned(),
            ..Run::default()
        }],
    };
    body.push_str(&paragraph(&title_block, package).replace("Heading0", "Title"));
    let mut rest = blocks;
    while let Some(block) = rest.first() {
        if let Kind::Row { .. } = block.kind {
            let rows = rest
                .iter()
                .take_while(|b| matches!(b.kind, Kind::Row { .. }))
                .count();
            body.push_str(&table(&rest[..rows], package));
            // Word joins two tables with nothing between them into one.
            body.push_str("<w:p/>");
            rest = &rest[rows..];
        } else {
            body.push_str(&paragraph(block, package));
            rest = &rest[1..];
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" \
         xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\">\
         <w:body>{body}<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/>\
         <w:pgMar w:top=\"1134\" w:right=\"1134\" w:bottom=\"1134\" w:left=\"1134\" w:header=\"709\" w:footer=\"709\" w:gutter=\"0\"/>\
         </w:sectPr></w:body></w:document>"
    )
}

/// A `w:tbl` of consecutive row blocks: a grid with borders, the header row repeated on
/// each page and in bold (its paragraph style), every row as wide as the widest (Word needs a `w:p` in each cell).
fn table(rows: &[Block], package: &mut Package<'_>) -> String {
    let columns = super::blocks::columns(rows);
    let border = |side: &str| {
        format!("<w:{side} w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"999999\"/>")
    };
    let borders: String = ["top", "left", "bottom", "right", "insideH", "insideV"]
        .iter()
        .map(|side| border(side))
        .collect();
    let mut out = format!(
        "<w:tbl><w:tblPr><w:tblStyle w:val=\"Table\"/><w:tblW w:w=\"5000\" w:type=\"pct\"/>\
         <w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type=\"autofit\"/></w:tblPr><w:tblGrid>"
    );
    for _ in 0..columns {
        out.push_str(&format!("<w:gridCol w:w=\"{}\"/>", 9638 / columns));
    }
    out.push_str("</w:tblGrid>");
    for row in rows {
        let header = matches!(row.kind, Kind::Row { header: true });
        out.push_str("<w:tr>");
        if header {
            out.push_str("<w:trPr><w:tblHeader/></w:trPr>");
        }
        let cells = row.cells();
        for i in 0..columns {
            let runs: &[Run] = cells.get(i).copied().unwrap_or_default();
            out.push_str(&format!(
                "<w:tc><w:tcPr><w:tcW w:w=\"{}\" w:type=\"dxa\"/></w:tcPr>{}</w:tc>",
                9638 / columns,
                paragraph_of(row.kind, runs, package)
            ));
        }
        out.push_str("</w:tr>");
    }
    out.push_str("</w:tbl>");
    out
}

fn relationships(package: &Package<'_>) -> String {
    let links = &package.links;
    let mut rels = String::from(
        "<Relationship Id=\"rIdStyles\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
         <Relationship Id=\"rIdNumbering\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering\" Target=\"numbering.xml\"/>",
    );
    for (i, url) in links.iter().enumerate() {
        rels.push_str(&format!(
            "<Relationship Id=\"rIdLink{}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink\" Target=\"{}\" TargetMode=\"External\"/>",
            i + 1,
            xml(url)
        ));
    }
    for (i, (_, ext)) in package.media.iter().enumerate() {
        rels.push_str(&format!(
            "<Relationship Id=\"rIdImage{n}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image\" Target=\"media/image{n}.{ext}\"/>",
            n = i + 1
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">{rels}</Relationships>"
    )
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Default Extension=\"png\" ContentType=\"image/png\"/>\
<Default Extension=\"gif\" ContentType=\"image/gif\"/>\
<Default Extension=\"jpeg\" ContentType=\"image/jpeg\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/word/numbering.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
</Types>";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
</Relationships>";

fn styles() -> String {
    let mut styles = String::from(
        "<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Calibri\" w:hAnsi=\"Calibri\" w:eastAsia=\"Calibri\" w:cs=\"Calibri\"/>\
         <w:sz w:val=\"22\"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"120\"/></w:pPr></w:pPrDefault></w:docDefaults>\
         <w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/></w:style>\
         <w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/><w:pPr><w:spacing w:after=\"240\"/></w:pPr><w:rPr><w:b/><w:sz w:val=\"48\"/></w:rPr></w:style>\
         <w:style w:type=\"paragraph\" w:styleId=\"SourceCode\"><w:name w:val=\"Source Code\"/><w:basedOn w:val=\"Normal\"/><w:pPr><w:spacing w:after=\"0\"/><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"F2F2F2\"/></w:pPr><w:rPr><w:rFonts w:ascii=\"Courier New\" w:hAnsi=\"Courier New\" w:cs=\"Courier New\"/><w:sz w:val=\"20\"/></w:rPr></w:style>\
         <w:style w:type=\"paragraph\" w:styleId=\"Quote\"><w:name w:val=\"Quote\"/><w:basedOn w:val=\"Normal\"/><w:pPr><w:ind w:left=\"567\"/></w:pPr><w:rPr><w:i/><w:color w:val=\"555555\"/></w:rPr></w:style>\
         <w:style w:type=\"paragraph\" w:styleId=\"ListParagraph\"><w:name w:val=\"List Paragraph\"/><w:basedOn w:val=\"Normal\"/><w:pPr><w:spacing w:after=\"40\"/></w:pPr></w:style>\
         <w:style w:type=\"paragraph\" w:styleId=\"TableText\"><w:name w:val=\"Table Text\"/><w:basedOn w:val=\"Normal\"/><w:pPr><w:spacing w:before=\"40\" w:after=\"40\"/></w:pPr></w:style>\
         <w:style w:type=\"paragraph\" w:styleId=\"TableHeading\"><w:name w:val=\"Table Heading\"/><w:basedOn w:val=\"TableText\"/><w:rPr><w:b/></w:rPr></w:style>\
         <w:style w:type=\"table\" w:styleId=\"Table\"><w:name w:val=\"Table\"/><w:tblPr><w:tblCellMar><w:left w:w=\"85\" w:type=\"dxa\"/><w:right w:w=\"85\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\
         <w:style w:type=\"character\" w:styleId=\"VerbatimChar\"><w:name w:val=\"Verbatim Char\"/><w:rPr><w:rFonts w:ascii=\"Courier New\" w:hAnsi=\"Courier New\" w:cs=\"Courier New\"/></w:rPr></w:style>\
         <w:style w:type=\"character\" w:styleId=\"Hyperlink\"><w:name w:val=\"Hyperlink\"/><w:rPr><w:color w:val=\"0563C1\"/><w:u w:val=\"single\"/></w:rPr></w:style>",
    );
    for (level, size) in [(1, 36), (2, 30), (3, 26), (4, 24), (5, 22), (6, 22)] {
        styles.push_str(&format!(
            "<w:style w:type=\"paragraph\" w:styleId=\"Heading{level}\"><w:name w:val=\"heading {level}\"/><w:basedOn w:val=\"Normal\"/>\
             <w:next w:val=\"Normal\"/><w:pPr><w:keepNext/><w:spacing w:before=\"240\" w:after=\"120\"/><w:outlineLvl w:val=\"{}\"/></w:pPr>\
             <w:rPr><w:b/><w:sz w:val=\"{size}\"/></w:rPr></w:style>",
            level - 1
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">{styles}</w:styles>"
    )
}

fn numbering() -> String {
    let levels = |format: &str, text: &dyn Fn(u32) -> String| -> String {
        (0..9)
            .map(|l| {
                format!(
                    "<w:lvl w:ilvl=\"{l}\"><w:start w:val=\"1\"/><w:numFmt w:val=\"{format}\"/><w:lvlText w:val=\"{}\"/>\
                     <w:lvlJc w:val=\"left\"/><w:pPr><w:ind w:left=\"{}\" w:hanging=\"360\"/></w:pPr></w:lvl>",
                    text(l),
                    720 * (l + 1)
                )
            })
            .collect()
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <w:numbering xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
         <w:abstractNum w:abstractNumId=\"0\">{}</w:abstractNum>\
         <w:abstractNum w:abstractNumId=\"1\">{}</w:abstractNum>\
         <w:num w:numId=\"{BULLETS}\"><w:abstractNumId w:val=\"0\"/></w:num>\
         <w:num w:numId=\"{NUMBERS}\"><w:abstractNumId w:val=\"1\"/></w:num></w:numbering>",
        levels("bullet", &|_| "•".into()),
        levels("decimal", &|l| format!("%{}.", l + 1)),
    )
}

fn core(title: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>{}</dc:title><dc:creator>tandem</dc:creator></cp:coreProperties>",
        xml(title)
    )
}

/// Renders blocks as a `.docx` file, with `images` (the document's own) embedded where the
/// text shows them.
pub fn render(title: &str, blocks: &[Block], images: &Images) -> anyhow::Result<Vec<u8>> {
    let mut package = Package {
        links: Vec::new(),
        images,
        media: Vec::new(),
    };
    let document = document_xml(title, blocks, &mut package);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let parts = [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", ROOT_RELS.to_owned()),
        ("docProps/core.xml", core(title)),
        ("word/document.xml", document),
        ("word/styles.xml", styles()),
        ("word/numbering.xml", numbering()),
        ("word/_rels/document.xml.rels", relationships(&package)),
    ];
    for (name, contents) in parts {
        zip.start_file(name, options)?;
        zip.write_all(contents.as_bytes())?;
    }
    // Images are compressed already.
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (i, (image, ext)) in package.media.iter().enumerate() {
        zip.start_file(format!("word/media/image{}.{ext}", i + 1), stored)?;
        zip.write_all(&image.bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    /// The export read back by an independent reader: pandoc (installed by
    /// scripts/test.sh) must see the same tables, nested lists, code and links.
    #[test]
    fn pandoc_reads_back_tables_nested_lists_code_and_links() {
        let markdown = "Intro with `code` and a [link](https://example.com/a).\n\n\
                        - one\n  - one and a half\n- two\n\n1. first\n2. second\n\n\
                        | key | value |\n| --- | --- |\n| α | 1 |\n| 日本 | **2** |\n\n\
                        ```\nlet x = 1;\n```\n";
        let bytes = super::render(
            "Doc",
            &crate::export::blocks::parse(markdown),
            &crate::export::images::Images::none(),
        )
        .unwrap();
        let dir = std::env::temp_dir().join(format!("tandem-docx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("export.docx");
        std::fs::write(&file, bytes).unwrap();
        let output = std::process::Command::new("pandoc")
            .args(["-f", "docx", "-t", "gfm"])
            .arg(&file)
            .output()
            .expect("pandoc is installed (scripts/test.sh installs it)");
        std::fs::remove_dir_all(&dir).ok();
        assert!(output.status.success(), "{output:?}");
        let gfm = String::from_utf8(output.stdout).unwrap();
        let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let read = squeeze(&gfm);
        for part in [
            "| key | value |",
            "| α | 1 |",
            "| 日本 | **2** |",
            "- one - one and a half",
            "- two",
            "1. first 2. second",
            "`code`",
            "[link](https://example.com/a)",
            "let x = 1;",
        ] {
            assert!(read.contains(part), "{part:?} in:\n{gfm}");
        }
    }
}
