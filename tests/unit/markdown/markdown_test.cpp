// SPDX-License-Identifier: Apache-2.0
#include "markdown/markdown.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "http/form.h"

namespace hearth::markdown {
namespace {

constexpr std::string_view kRel = "rel=\"noopener noreferrer nofollow\"";

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// Every tag in `html` is one the renderer writes, with only the attributes it writes: what a
// hostile input must never get past.
::testing::AssertionResult OnlyRendererMarkup(std::string_view html) {
  static const std::vector<std::string_view> kTags = {
      "p",   "h1",    "h2",    "h3",    "h4",    "h5", "h6",         "em", "strong",
      "del", "code",  "pre",   "a",     "br",    "hr", "blockquote", "ul", "ol",
      "li",  "input", "table", "thead", "tbody", "tr", "th",         "td"};
  static const std::vector<std::string_view> kAttributes = {
      "href", "rel", "title", "class", "start", "align", "type", "disabled", "checked"};
  auto is_one_of = [](std::string_view s, const std::vector<std::string_view>& set) {
    for (auto x : set) {
      if (x == s) return true;
    }
    return false;
  };
  for (size_t lt = html.find('<'); lt != std::string_view::npos; lt = html.find('<', lt + 1)) {
    size_t gt = html.find('>', lt);
    if (gt == std::string_view::npos)
      return ::testing::AssertionFailure() << "open tag in " << html;
    std::string_view tag = html.substr(lt + 1, gt - lt - 1);
    if (!tag.empty() && tag.front() == '/') tag.remove_prefix(1);
    size_t name_end = tag.find(' ');
    if (!is_one_of(tag.substr(0, name_end), kTags)) {
      return ::testing::AssertionFailure() << "tag <" << tag << "> in " << html;
    }
    while (name_end != std::string_view::npos) {
      tag.remove_prefix(name_end + 1);
      size_t end = tag.find_first_of(" =");
      if (!is_one_of(tag.substr(0, end), kAttributes)) {
        return ::testing::AssertionFailure() << "attribute " << tag << " in " << html;
      }
      if (end != std::string_view::npos && tag[end] == '=') {
        if (tag.size() < end + 2 || tag[end + 1] != '"') {
          return ::testing::AssertionFailure() << "unquoted value in " << html;
        }
        size_t close = tag.find('"', end + 2);
        if (close == std::string_view::npos) return ::testing::AssertionFailure() << html;
        std::string_view value = tag.substr(end + 2, close - end - 2);
        if (Contains(value, "javascript:")) return ::testing::AssertionFailure() << html;
        end = close + 1;
        if (end < tag.size() && tag[end] != ' ') return ::testing::AssertionFailure() << html;
        if (end == tag.size()) end = std::string_view::npos;
      }
      name_end = end;
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(RenderMarkdown, RendersNothingForEmptyInput) { EXPECT_EQ(RenderMarkdown(""), ""); }

TEST(RenderMarkdown, RendersParagraphsHeadingsAndInlineStyles) {
  EXPECT_EQ(RenderMarkdown("# One\n###### Six\n\nSome *em*, **strong** and ~~gone~~ text\n"
                           "on two lines.  \nAfter a hard break.\n\n---\n\n> quoted\n"),
            "<h1>One</h1>\n<h6>Six</h6>\n"
            "<p>Some <em>em</em>, <strong>strong</strong> and <del>gone</del> text\n"
            "on two lines.<br>\nAfter a hard break.</p>\n<hr>\n"
            "<blockquote>\n<p>quoted</p>\n</blockquote>\n");
}

TEST(RenderMarkdown, ShowsRawHtmlBlocksAsText) {
  EXPECT_EQ(RenderMarkdown("<script>alert(1)</script>\n"),
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
  EXPECT_EQ(RenderMarkdown("<div onclick=\"steal()\">\nhi\n</div>\n"),
            "<p>&lt;div onclick=&quot;steal()&quot;&gt;\nhi\n&lt;/div&gt;</p>\n");
  EXPECT_EQ(RenderMarkdown("<!-- hidden instructions -->\n"),
            "<p>&lt;!-- hidden instructions --&gt;</p>\n");
  EXPECT_EQ(RenderMarkdown("<style>body{display:none}</style>"),
            "<p>&lt;style&gt;body{display:none}&lt;/style&gt;</p>\n");
}

TEST(RenderMarkdown, ShowsInlineHtmlAsText) {
  std::string html = RenderMarkdown("a <img src=x onerror=alert(1)> b <b>c</b> <!-- d --> e");
  EXPECT_EQ(html,
            "<p>a &lt;img src=x onerror=alert(1)&gt; b &lt;b&gt;c&lt;/b&gt; &lt;!-- d --&gt; "
            "e</p>\n");
  EXPECT_TRUE(OnlyRendererMarkup(html));
}

TEST(RenderMarkdown, EscapesEveryMarkupCharacterInText) {
  EXPECT_EQ(RenderMarkdown("\"quotes\" & 'apostrophes' > less <"),
            "<p>&quot;quotes&quot; &amp; &#39;apostrophes&#39; &gt; less &lt;</p>\n");
}

TEST(RenderMarkdown, KeepsHttpHttpsAndMailtoLinksWithASafeRel) {
  EXPECT_EQ(RenderMarkdown("[a](http://example.com/x?q=1&r=2) [b](HTTPS://example.com) "
                           "[c](mailto:someone@example.com)"),
            "<p><a href=\"http://example.com/x?q=1&amp;r=2\" " + std::string(kRel) +
                ">a</a> <a href=\"https://example.com\" " + std::string(kRel) +
                ">b</a> <a href=\"mailto:someone@example.com\" " + std::string(kRel) +
                ">c</a></p>\n");
}

TEST(RenderMarkdown, ShowsLinksWithAnyOtherDestinationAsTheirTextAlone) {
  const char* destinations[] = {
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "&#106;avascript:alert(1)",
      "&#x6A;&#x61;vascript:alert(1)",
      "javascript&colon;alert(1)",
      "java&Tab;script:alert(1)",
      "java&#9;script:alert(1)",
      "java&NewLine;script:alert(1)",
      "<java\tscript:alert(1)>",
      "<\x01javascript:alert(1)>",
      "<\x01\x1f javascript:alert(1)>",
      "&#0;javascript:alert(1)",
      "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
      "DATA:text/html,x",
      "vbscript:msgbox(1)",
      "file:///etc/passwd",
      "/settings",
      "relative/path",
      "#fragment",
      "?q=1",
      "//evil.example/x",
      "http:evil",
      "https:/one-slash",
      "",
  };
  for (const char* destination : destinations) {
    std::string markdown = std::string("[click me](") + destination + ")";
    EXPECT_EQ(RenderMarkdown(markdown), "<p>click me</p>\n") << markdown;
  }
}

TEST(RenderMarkdown, ChecksTheSchemeOnTheUrlABrowserWouldSee) {
  // Character references are decoded first, and the URL is written out without them.
  EXPECT_EQ(RenderMarkdown("[x](http&#58;//example.com)"),
            "<p><a href=\"http://example.com\" " + std::string(kRel) + ">x</a></p>\n");
  // Tabs and newlines vanish and leading blanks are stripped, by the browser and so by us.
  EXPECT_EQ(RenderMarkdown("[x](ht&#9;tps://example.com/a&#10;b)"),
            "<p><a href=\"https://example.com/ab\" " + std::string(kRel) + ">x</a></p>\n");
  EXPECT_EQ(RenderMarkdown("[x](<\x01 https://example.com/a b>)"),
            "<p><a href=\"https://example.com/a%20b\" " + std::string(kRel) + ">x</a></p>\n");
}

TEST(RenderMarkdown, WritesNoLiteralColonInAttributesButTheSchemes) {
  std::string html = RenderMarkdown("[x](http://example.com:8080/javascript:alert(1) \"a:b\")");
  EXPECT_EQ(html, "<p><a href=\"http://example.com&#58;8080/javascript&#58;alert(1)\" " +
                      std::string(kRel) + " title=\"a&#58;b\">x</a></p>\n");
  EXPECT_TRUE(OnlyRendererMarkup(html));
}

TEST(RenderMarkdown, PercentEncodesQuotesSpacesAndNonAsciiInUrls) {
  EXPECT_EQ(RenderMarkdown("[x](https://example.com/\"'`&lt;&gt;\xC3\xA9%41)"),
            "<p><a href=\"https://example.com/%22%27%60%3C%3E%C3%A9%41\" " + std::string(kRel) +
                ">x</a></p>\n");
}

TEST(RenderMarkdown, EscapesQuotesInLinkTitles) {
  std::string html = RenderMarkdown("[x](https://example.com \"He said \\\"hi\\\" & 'bye' <b>\")");
  EXPECT_EQ(html,
            "<p><a href=\"https://example.com\" " + std::string(kRel) +
                " title=\"He said &quot;hi&quot; &amp; &#39;bye&#39; &lt;b&gt;\">x</a></p>\n");
  EXPECT_TRUE(OnlyRendererMarkup(html));
  EXPECT_EQ(RenderMarkdown("[x](https://example.com 'it&#39;s \" onmouseover=\"alert(1)')"),
            "<p><a href=\"https://example.com\" " + std::string(kRel) +
                " title=\"it&#39;s &quot; onmouseover=&quot;alert(1)\">x</a></p>\n");
}

TEST(RenderMarkdown, RendersImagesAsLinksThatLoadNothing) {
  EXPECT_EQ(RenderMarkdown("![a cat](https://example.com/cat.png \"Tom\")"),
            "<p><a href=\"https://example.com/cat.png\" " + std::string(kRel) +
                " title=\"Tom\">a cat</a></p>\n");
  EXPECT_EQ(RenderMarkdown("![](https://example.com/cat.png)"),
            "<p><a href=\"https://example.com/cat.png\" " + std::string(kRel) +
                ">https://example.com/cat.png</a></p>\n");
  EXPECT_EQ(RenderMarkdown("![tracking pixel](/pixel.gif)"), "<p>tracking pixel</p>\n");
  EXPECT_EQ(RenderMarkdown("![x](data:image/svg+xml;base64,PHN2Zz4=)"), "<p>x</p>\n");
  EXPECT_EQ(RenderMarkdown("![x\"><script>](javascript:alert(1))"),
            "<p>x&quot;&gt;&lt;script&gt;</p>\n");
  EXPECT_FALSE(Contains(RenderMarkdown("![a](https://e.com/a.png) ![b](x.png)"), "<img"));
}

TEST(RenderMarkdown, NeverNestsLinks) {
  std::string html = RenderMarkdown("[![badge](https://e.com/b.svg)](https://e.com/ci)");
  EXPECT_EQ(html, "<p><a href=\"https://e.com/ci\" " + std::string(kRel) + ">badge</a></p>\n");
  EXPECT_EQ(Count(RenderMarkdown("[see www.example.com](https://e.com)"), "<a "), 1u);
  // An image whose own link is refused still sits inside an allowed outer link.
  EXPECT_EQ(RenderMarkdown("[![alt](javascript:x)](https://e.com)"),
            "<p><a href=\"https://e.com\" " + std::string(kRel) + ">alt</a></p>\n");
}

TEST(RenderMarkdown, AutolinksUrlsWwwNamesAndEmailAddresses) {
  EXPECT_EQ(RenderMarkdown("Go to https://example.com/a, www.example.org or write to "
                           "me@example.net or <https://example.com/b>."),
            "<p>Go to <a href=\"https://example.com/a\" " + std::string(kRel) +
                ">https://example.com/a</a>, <a href=\"http://www.example.org\" " +
                std::string(kRel) +
                ">www.example.org</a> or write to <a href=\"mailto:me@example.net\" " +
                std::string(kRel) + ">me@example.net</a> or <a href=\"https://example.com/b\" " +
                std::string(kRel) + ">https://example.com/b</a>.</p>\n");
}

TEST(RenderMarkdown, DoesNotAutolinkOtherSchemes) {
  for (const char* text : {"<javascript:alert(1)>", "<JAVASCRIPT:alert(1)>", "<vbscript:x>",
                           "<data:text/html,x>", "<file:///etc/passwd>", "javascript:alert(1)"}) {
    std::string html = RenderMarkdown(text);
    EXPECT_FALSE(Contains(html, "<a")) << html;
    EXPECT_TRUE(OnlyRendererMarkup(html)) << html;
  }
}

TEST(RenderMarkdown, RendersFencedCodeWithALanguageClass) {
  EXPECT_EQ(RenderMarkdown("```python\nif a < b and c > d:\n    print(\"&\")\n```\n"),
            "<pre><code class=\"language-python\">if a &lt; b and c &gt; d:\n"
            "    print(&quot;&amp;&quot;)\n</code></pre>\n");
  EXPECT_EQ(RenderMarkdown("~~~c++ extra words\nx\n~~~\n"),
            "<pre><code class=\"language-c++\">x\n</code></pre>\n");
  EXPECT_EQ(RenderMarkdown("```objective-c_2\nx\n```\n"),
            "<pre><code class=\"language-objective-c_2\">x\n</code></pre>\n");
}

TEST(RenderMarkdown, RendersFencedCodeWithoutALanguage) {
  EXPECT_EQ(RenderMarkdown("```\n<script>alert(1)</script>\n```\n"),
            "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>\n");
  EXPECT_EQ(RenderMarkdown("```\nunclosed"), "<pre><code>unclosed\n</code></pre>\n");
}

TEST(RenderMarkdown, DropsALanguageWithCharactersOutsideTheSafeSet) {
  for (const char* fence : {"~~~c\"onmouseover=\"alert(1)\n", "~~~x><script>\n", "~~~a:b\n",
                            "~~~c&#43;&#43;\n", "~~~py\xc3\xa9\n", "~~~a'b\n"}) {
    std::string html = RenderMarkdown(std::string(fence) + "x\n~~~\n");
    EXPECT_EQ(html, "<pre><code>x\n</code></pre>\n") << fence;
  }
}

TEST(RenderMarkdown, EscapesCodeSpans) {
  EXPECT_EQ(RenderMarkdown("Use `<b>&amp;\"'</b>` here."),
            "<p>Use <code>&lt;b&gt;&amp;amp;&quot;&#39;&lt;/b&gt;</code> here.</p>\n");
}

TEST(RenderMarkdown, RendersTablesWithAlignmentAsAttributes) {
  EXPECT_EQ(RenderMarkdown("| Name | Size | Kind |\n|:-----|-----:|:----:|\n"
                           "| `a<b` | 10 | *x* |\n"),
            "<table>\n<thead>\n<tr>\n<th align=\"left\">Name</th>\n<th align=\"right\">Size</th>\n"
            "<th align=\"center\">Kind</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n"
            "<td align=\"left\"><code>a&lt;b</code></td>\n<td align=\"right\">10</td>\n"
            "<td align=\"center\"><em>x</em></td>\n</tr>\n</tbody>\n</table>\n");
}

TEST(RenderMarkdown, RendersNestedLists) {
  EXPECT_EQ(RenderMarkdown("- one\n  1. first\n  2. second\n     - deep\n- two\n\n3. three\n"),
            "<ul>\n<li>one<ol>\n<li>first</li>\n<li>second<ul>\n<li>deep</li>\n</ul>\n</li>\n"
            "</ol>\n</li>\n<li>two</li>\n</ul>\n<ol start=\"3\">\n<li>three</li>\n</ol>\n");
}

TEST(RenderMarkdown, RendersTaskListsWithDisabledCheckboxes) {
  EXPECT_EQ(RenderMarkdown("- [x] done\n- [ ] to do\n- plain\n"),
            "<ul>\n<li class=\"task\"><input type=\"checkbox\" disabled checked> done</li>\n"
            "<li class=\"task\"><input type=\"checkbox\" disabled> to do</li>\n"
            "<li>plain</li>\n</ul>\n");
}

TEST(RenderMarkdown, DecodesKnownEntitiesAndShowsUnknownOnesLiterally) {
  EXPECT_EQ(RenderMarkdown("&copy; &lt;b&gt; &#65;&#x42; &madeup; &amp;lt;"),
            "<p>\xC2\xA9 &lt;b&gt; AB &amp;madeup; &amp;lt;</p>\n");
}

TEST(RenderMarkdown, ReplacesNulAndInvalidCharacterReferences) {
  std::string nul = std::string("a") + '\0' + "b";
  EXPECT_EQ(RenderMarkdown(nul),
            "<p>a\xEF\xBF\xBD"
            "b</p>\n");
  EXPECT_EQ(RenderMarkdown("&#0; &#xD800; &#1114112; &#9999999;"),
            "<p>\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD</p>\n");
}

TEST(RenderMarkdown, ReplacesInvalidUtf8) {
  const std::string inputs[] = {
      "bad \xff byte",
      "overlong \xC0\xAF slash",
      "surrogate \xED\xA0\x80",
      "past max \xF4\x90\x80\x80",
      "stray \x80\x80 continuation",
      "cut short \xE2\x82",
      "**bold \xE2**",
      "[link \xF0\x9F](https://e.com/\xE2)",
      "```\xff\ncode \xC3\n```",
  };
  for (const auto& input : inputs) {
    std::string html = RenderMarkdown(input);
    EXPECT_TRUE(http::IsValidUtf8(html)) << html;
    EXPECT_TRUE(Contains(html, "\xEF\xBF\xBD")) << html;
  }
  EXPECT_EQ(RenderMarkdown("caf\xC3\xA9 \xE2\x9C\x93"), "<p>caf\xC3\xA9 \xE2\x9C\x93</p>\n");
}

std::string Repeat(std::string_view piece, size_t bytes) {
  std::string out;
  out.reserve(bytes);
  while (out.size() + piece.size() <= bytes) out += piece;
  return out;
}

TEST(RenderMarkdown, RendersAQuarterMebibyteOfAdversarialInput) {
  // Shapes that make naive Markdown parsers quadratic: unclosed brackets, emphasis and code
  // runs, deep nesting, many references.
  const char* pieces[] = {"[",   "[a](",    "*a",  "_*",    "`",    "``a",      ">",
                          "1. ", "![",      "&#",  "www.a", "a@b.", "[x]: y\n", "<a ",
                          "\\",  "| a |\n", "- [", "~~a",   "a\n",  "```\n"};
  for (const char* piece : pieces) {
    std::string input = Repeat(piece, kMaxMarkdownBytes);
    std::string html = RenderMarkdown(input);
    EXPECT_TRUE(http::IsValidUtf8(html)) << piece;
    EXPECT_TRUE(OnlyRendererMarkup(html)) << piece;
  }
  std::string answer = Repeat(
      "## Step\n\nRun `make` in the [build dir](https://example.com/build), then:\n\n"
      "```sh\nmake -j4 && ./test <input >output\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
      "- item with **bold**\n- [ ] task\n\n",
      kMaxMarkdownBytes);
  std::string html = RenderMarkdown(answer);
  EXPECT_EQ(Count(html, "<h2>"), Count(answer, "## Step"));
  EXPECT_TRUE(OnlyRendererMarkup(html));
}

TEST(RenderMarkdown, ShowsInputPastTheLimitAsPlainText) {
  std::string input = Repeat("Some prose.\n", kMaxMarkdownBytes) + "**more** <script>\n";
  ASSERT_GT(input.size(), kMaxMarkdownBytes);
  std::string html = RenderMarkdown(input);
  EXPECT_TRUE(html.ends_with("Some prose.</p>\n<pre>**more** &lt;script&gt;\n</pre>\n"))
      << html.substr(html.size() - 100);
  EXPECT_TRUE(html.starts_with("<p>Some prose.\n"));

  // With no line end to cut at, the cut still falls between characters.
  std::string one_line = Repeat("\xE2\x9C\x93", kMaxMarkdownBytes + 30);
  std::string cut = RenderMarkdown(one_line);
  EXPECT_TRUE(http::IsValidUtf8(cut));
  EXPECT_FALSE(Contains(cut, "\xEF\xBF\xBD"));

  // Nor does a cut through bytes that are no UTF-8 at all lose anything but those bytes.
  std::string garbage(kMaxMarkdownBytes + 100, '\x80');
  std::string replaced = RenderMarkdown(garbage);
  EXPECT_TRUE(http::IsValidUtf8(replaced));
  EXPECT_TRUE(replaced.starts_with("<p>\xEF\xBF\xBD</p>\n<pre>\xEF\xBF\xBD</pre>")) << replaced;
}

// md4c 0.4.8 read past the end of its input when an unclosed link ran into it ("[a](https://x.y"
// or "[](r[](" as the last bytes, as every answer is while a link streams in), and reported text
// from beyond with a garbage length. Rendering must depend only on the bytes it was given.
TEST(RenderMarkdown, ReadsNothingPastTheEndOfAnUnclosedLink) {
  const std::string whole =
      "Intro.\n\nA closing paragraph with a [link](https://example.com/a_b) and "
      "![img](www.example.org/x.png), [mail](a@example.net), \xA9##r[](r[](.\n";
  for (size_t n = 0; n <= whole.size(); ++n) {
    std::string_view prefix(whole.data(), n);  // the bytes after it are still in memory
    std::string different_after = std::string(prefix) + " \n";
    std::string html = RenderMarkdown(prefix);
    ASSERT_EQ(html, RenderMarkdown(std::string_view(different_after).substr(0, n))) << n;
    EXPECT_TRUE(http::IsValidUtf8(html)) << n;
    EXPECT_TRUE(OnlyRendererMarkup(html)) << n;
  }
}

TEST(RenderMarkdown, RendersTheSameWithOrWithoutAFinalLineEnd) {
  for (const char* text : {"para", "# head", "```\ncode", "a  ", "a\\", "- item", "| a |\n|---|",
                           "[x]: https://e.com\n[x]", "a\r"}) {
    EXPECT_EQ(RenderMarkdown(text), RenderMarkdown(std::string(text) + "\n")) << text;
  }
}

TEST(StableBlockPrefix, IsZeroWithoutACompleteBlock) {
  EXPECT_EQ(StableBlockPrefix(""), 0u);
  EXPECT_EQ(StableBlockPrefix("partial"), 0u);
  EXPECT_EQ(StableBlockPrefix("a line\nand another\n"), 0u);
  EXPECT_EQ(StableBlockPrefix("a paragraph\n  "), 0u);  // the blank line has not ended yet
}

TEST(StableBlockPrefix, EndsAfterTheLastBlankLine) {
  EXPECT_EQ(StableBlockPrefix("\n"), 1u);
  EXPECT_EQ(StableBlockPrefix("one\n\ntwo\n \t\nthree"), 12u);
  EXPECT_EQ(StableBlockPrefix("one\n\n\n"), 6u);
}

TEST(StableBlockPrefix, NeverEndsInsideAnUnclosedFence) {
  EXPECT_EQ(StableBlockPrefix("intro\n\n```python\ndef f():\n\n    pass\n\n"), 7u);
  EXPECT_EQ(StableBlockPrefix("```\n\n\n"), 0u);
}

TEST(StableBlockPrefix, EndsAfterTheLineThatClosesAFence) {
  std::string text = "```python\ndef f():\n\n    pass\n```\nafter";
  EXPECT_EQ(StableBlockPrefix(text), text.find("after"));
  EXPECT_EQ(StableBlockPrefix("```\nx\n```"), 0u);  // the closing line has not ended
  EXPECT_EQ(StableBlockPrefix("```\nx\n```  \n"), 12u);
}

TEST(StableBlockPrefix, ClosesAFenceOnlyWithTheSameMarkAtLeastAsLong) {
  EXPECT_EQ(StableBlockPrefix("````\n```\n\n"), 0u);
  EXPECT_EQ(StableBlockPrefix("```\n~~~\n\n"), 0u);
  EXPECT_EQ(StableBlockPrefix("```\n``` not a close\n\n"), 0u);
  EXPECT_EQ(StableBlockPrefix("```\n`````\n"), 10u);
}

TEST(StableBlockPrefix, TracksTildeFences) {
  EXPECT_EQ(StableBlockPrefix("~~~\ncode\n\n"), 0u);
  EXPECT_EQ(StableBlockPrefix("~~~ ``` info\ncode\n\n~~~~\n"), 24u);
}

TEST(StableBlockPrefix, TracksIndentedFencesIncludingThoseInListItems) {
  EXPECT_EQ(StableBlockPrefix("   ```\ncode\n\n"), 0u);
  EXPECT_EQ(StableBlockPrefix("   ```\ncode\n\n```\n"), 17u);
  // A fence in a list item, indented past three spaces, must not split at its blank lines.
  std::string list = "1. Install:\n\n    ```sh\n    a\n\n    b\n    ```\n";
  EXPECT_EQ(StableBlockPrefix(list), list.size());
  EXPECT_EQ(StableBlockPrefix(list.substr(0, list.size() - 8)), 13u);
}

TEST(StableBlockPrefix, TreatsBackticksFollowedByABacktickAsText) {
  EXPECT_EQ(StableBlockPrefix("```inline``` code\n\nnext"), 19u);
}

TEST(StableBlockPrefix, UnderstandsCrlfAndLoneCarriageReturns) {
  EXPECT_EQ(StableBlockPrefix("a\r\n\r\nb"), 5u);
  EXPECT_EQ(StableBlockPrefix("```\r\nx\r\n\r\n```\r\nafter"), 15u);
  EXPECT_EQ(StableBlockPrefix("a\r\rb"), 3u);
  EXPECT_EQ(StableBlockPrefix("a\r\n\r"), 0u);  // the \r may be the start of a \r\n
}

// A realistic answer made only of paragraphs, headings and fences, so that splitting it at any
// stable offset must render exactly like the whole.
constexpr std::string_view kAnswer =
    "# Setting up\n\nFirst install the *tools*:\n\n```sh\nsudo apt install cmake\n\n"
    "cmake --version\n```\nThen check the output.\r\n\r\n## Notes\n\n~~~python\ndef f():\n\n"
    "    return 1\n~~~\n\nA closing paragraph with a [link](https://example.com).\n";

TEST(StableBlockPrefix, SplitsParagraphsHeadingsAndFencesWhereRenderingIsUnchanged) {
  for (size_t n = 0; n <= kAnswer.size(); ++n) {
    std::string_view text = kAnswer.substr(0, n);
    size_t k = StableBlockPrefix(text);
    ASSERT_LE(k, n);
    EXPECT_EQ(RenderMarkdown(text.substr(0, k)) + RenderMarkdown(text.substr(k)),
              RenderMarkdown(text))
        << "after " << n << " bytes, split at " << k;
  }
}

TEST(StableBlockPrefix, ResumesFromAnEarlierStableOffset) {
  for (size_t n = 0; n <= kAnswer.size(); ++n) {
    std::string_view text = kAnswer.substr(0, n);
    size_t whole = StableBlockPrefix(text);
    for (size_t m = 0; m <= n; ++m) {
      size_t earlier = StableBlockPrefix(kAnswer.substr(0, m));
      ASSERT_EQ(earlier + StableBlockPrefix(text.substr(earlier)), whole) << n << " " << m;
    }
  }
}

TEST(StableBlockPrefix, LandsOnALineBoundary) {
  for (size_t n = 0; n <= kAnswer.size(); ++n) {
    size_t k = StableBlockPrefix(kAnswer.substr(0, n));
    EXPECT_TRUE(k == 0 || kAnswer[k - 1] == '\n') << k;
  }
}

}  // namespace
}  // namespace hearth::markdown
