using System.Diagnostics.CodeAnalysis;

namespace FleetMfa.Tests.Infrastructure;

[CollectionDefinition(Name)]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "xunit collection definitions are named *Collection (Orleans testing docs).")]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteClusterFixture>
{
    public const string Name = "Azurite";
}
