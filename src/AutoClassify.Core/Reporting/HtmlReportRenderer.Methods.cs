using System.Text.RegularExpressions;
using static AutoClassify.Reporting.HtmlFormat;

namespace AutoClassify.Reporting;

/// <summary>The generated "Methods" section, the same text as methods.md.</summary>
internal sealed partial class HtmlReportRenderer
{
    void Methods()
    {
        _sb.Append(Inv, $"<section id=\"methods\">\n<h2>Methods</h2>\n<p class=\"quiet\">Generated from this run, ready to paste; also written as <code>{MethodsExporter.FileName}</code>.</p>\n");
        foreach (var paragraph in MethodsText.Paragraphs(_r))
            _sb.Append("<p class=\"methods\">").Append(InlineMarkdown(paragraph)).Append("</p>\n");
        _sb.Append("</section>\n");
    }

    /// <summary>Escapes the text, then turns the two Markdown marks the methods use (**bold**, `code`) into HTML.</summary>
    static string InlineMarkdown(string text)
    {
        var html = E(text);
        html = Regex.Replace(html, @"\*\*(.+?)\*\*", "<strong>$1</strong>");
        return Regex.Replace(html, "`(.+?)`", "<code>$1</code>");
    }
}
