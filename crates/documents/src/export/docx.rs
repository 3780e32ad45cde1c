//! Word documents (Office Open XML), written directly: a handful of XML parts in a zip.

use super::blocks::{Block, Kind, Run};
use std::io::Write;

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

fn paragraph(block: &Block, links: &mut Vec<String>) -> String {
    paragraph_of(block.kind, &block.runs, links)
}

/// One `w:p` of `runs`, styled as a block of `kind`.
fn paragraph_of(kind: Kind, runs: &[Run], links: &mut Vec<String>) -> String {
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
    for run in runs {
        match &run.link {
            Some(url) => {
                links.push(url.clone());
                out.push_str(&format!(
                    "<w:hyperlink r:id=\"rIdLink{}\">{}</w:hyperlink>",
                    links.len(),
                    run_xml(run)
                ));
            }
            None => out.push_str(&run_xml(run)),
        }
    }
    out.push_str("</w:p>");
    out
}

fn document_xml(title: &str, blocks: &[Block], links: &mut Vec<String>) -> String {
    let mut body = String::new();
    let title_block = Block {
        kind: Kind::Heading(0),
        runs: vec![Run {
            text: title.to_owned(),
            ..Run::default()
        }],
    };
    body.push_str(&paragraph(&title_block, links).replace("Heading0", "Title"));
    let mut rest = blocks;
    while let Some(block) = rest.first() {
        if let Kind::Row { .. } = block.kind {
            let rows = rest
                .iter()
                .take_while(|b| matches!(b.kind, Kind::Row { .. }))
                .count();
            body.push_str(&table(&rest[..rows], links));
            // Word joins two tables with nothing between them into one.
            body.push_str("<w:p/>");
            rest = &rest[rows..];
        } else {
            body.push_str(&paragraph(block, links));
            rest = &rest[1..];
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
         <w:body>{body}<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/>\
         <w:pgMar w:top=\"1134\" w:right=\"1134\" w:bottom=\"1134\" w:left=\"1134\" w:header=\"709\" w:footer=\"709\" w:gutter=\"0\"/>\
         </w:sectPr></w:body></w:document>"
    )
}

/// A `w:tbl` of consecutive row blocks: a grid with borders, the header row repeated on
/// each page and in bold (its paragraph style), every row as wide as the widest (Word needs a `w:p` in each cell).
fn table(rows: &[Block], links: &mut Vec<String>) -> String {
    let columns = rows
        .iter()
        .map(|r| r.cells().len())
        .max()
        .unwrap_or(1)
        .max(1);
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
                paragraph_of(row.kind, runs, links)
            ));
        }
        out.push_str("</w:tr>");
    }
    out.push_str("</w:tbl>");
    out
}

fn relationships(links: &[String]) -> String {
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
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">{rels}</Relationships>"
    )
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
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

/// Renders blocks as a `.docx` file.
pub fn render(title: &str, blocks: &[Block]) -> anyhow::Result<Vec<u8>> {
    let mut links = Vec::new();
    let document = document_xml(title, blocks, &mut links);
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
        ("word/_rels/document.xml.rels", relationships(&links)),
    ];
    for (name, contents) in parts {
        zip.start_file(name, options)?;
        zip.write_all(contents.as_bytes())?;
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
        let bytes = super::render("Doc", &crate::export::blocks::parse(markdown)).unwrap();
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
