namespace FleetMfa.EndToEnd;

/// <summary>
/// Every end-to-end test class shares <see cref="EndToEndFixture"/> (one Azurite, one silo, and on demand a silo on a
/// Mosquitto of its own); they run one at a time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EndToEndCollectionDefinition : ICollectionFixture<EndToEndFixture>
{
    public const string Name = "EndToEnd";
}
