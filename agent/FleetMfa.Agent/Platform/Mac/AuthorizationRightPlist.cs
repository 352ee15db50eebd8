using System.Xml;
using System.Xml.Linq;

namespace FleetMfa.Agent.Platform.Mac;

/// <summary>Reads and rewrites the <c>mechanisms</c> array of a right as <c>security authorizationdb read</c> prints it.</summary>
public static class AuthorizationRightPlist
{
    private const string Header = """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">

        """;

    public static IReadOnlyList<string> Mechanisms(string plist) =>
        MechanismsArray(Parse(plist))?.Elements("string").Select(e => e.Value).ToList() ?? [];

    /// <summary>The same right with its <c>mechanisms</c> replaced by <paramref name="mechanisms"/>.</summary>
    public static string WithMechanisms(string plist, IReadOnlyList<string> mechanisms)
    {
        ArgumentNullException.ThrowIfNull(mechanisms);
        var document = Parse(plist);
        var array = MechanismsArray(document) ?? throw new PolicyException("the right has no mechanisms array");
        array.ReplaceNodes(mechanisms.Select(m => new XElement("string", m)));
        return Header + document.Root!.ToString() + "\n";
    }

    private static XDocument Parse(string plist)
    {
        using var reader = XmlReader.Create(new StringReader(plist), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null });
        return XDocument.Load(reader);
    }

    /// <summary>The <c>&lt;array&gt;</c> after <c>&lt;key&gt;mechanisms&lt;/key&gt;</c> in the top-level dict.</summary>
    private static XElement? MechanismsArray(XDocument document) =>
        document.Root?.Element("dict")?.Elements("key").FirstOrDefault(k => k.Value == "mechanisms")?.ElementsAfterSelf().FirstOrDefault() is { Name.LocalName: "array" } array
            ? array
            : null;
}
