namespace FleetMfa.Silo.Hosting;

/// <summary>Host settings (section <c>FleetMfa</c>; the <c>FLEETMFA_*</c> variables of DESIGN "Running it" map onto it).</summary>
public sealed class FleetMfaOptions
{
    public const string SectionName = "FleetMfa";

    /// <summary>Where generated keys live (<c>admin.key</c>, <c>master.key</c>). Default <c>.data</c> under the working directory.</summary>
    public string DataDirectory { get; set; } = ".data";

    /// <summary>The admin bearer key. When empty, one is generated once into <c>{DataDirectory}/admin.key</c>.</summary>
    public string? AdminKey { get; set; }
}
