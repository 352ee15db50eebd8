using FleetMfa.Protocol;

namespace FleetMfa.Agent.Tests.Protocol;

public class TopicsTests
{
    private readonly Topics _topics = new();

    [Fact]
    public void Device_topics_follow_the_documented_tree()
    {
        Assert.Equal("fleetmfa/v1/acme/dev-1/reported", _topics.For("acme", "dev-1", Topics.Reported));
        Assert.Equal("fleetmfa/v1/acme/dev-1/events", _topics.For("acme", "dev-1", Topics.Events));
        Assert.Equal("fleetmfa/v1/acme/dev-1/presence", _topics.For("acme", "dev-1", Topics.Presence));
        Assert.Equal("fleetmfa/v1/acme/dev-1/desired", _topics.DesiredFor("acme", "dev-1"));
    }

    [Fact]
    public void Wildcards_cover_every_device_of_every_org()
    {
        Assert.Equal("fleetmfa/v1/+/+/reported", _topics.AllOf(Topics.Reported));
        Assert.Equal("$share/fleetmfa/fleetmfa/v1/+/+/reported", _topics.SharedAllOf(Topics.Reported));
    }

    [Fact]
    public void A_custom_prefix_loses_its_trailing_slash()
    {
        var topics = new Topics("corp/mfa/");

        Assert.Equal("corp/mfa", topics.Prefix);
        Assert.Equal("corp/mfa/acme/dev-1/desired", topics.DesiredFor("acme", "dev-1"));
        Assert.True(topics.TryParse("corp/mfa/acme/dev-1/desired", out _, out _, out _));
        Assert.False(topics.TryParse("fleetmfa/v1/acme/dev-1/desired", out _, out _, out _));
    }

    [Theory]
    [InlineData("fleetmfa/v1/acme/dev-1/desired", "acme", "dev-1", "desired")]
    [InlineData("fleetmfa/v1/acme/dev-1/reported", "acme", "dev-1", "reported")]
    [InlineData("fleetmfa/v1/acme/dev-1/events", "acme", "dev-1", "events")]
    [InlineData("fleetmfa/v1/acme/dev-1/presence", "acme", "dev-1", "presence")]
    [InlineData("fleetmfa/v1/0rg.x_y/d-9.z_/reported", "0rg.x_y", "d-9.z_", "reported")]
    public void TryParse_splits_a_device_topic(string topic, string orgId, string deviceId, string kind)
    {
        Assert.True(_topics.TryParse(topic, out var parsedOrg, out var parsedDevice, out var parsedKind));
        Assert.Equal((orgId, deviceId, kind), (parsedOrg, parsedDevice, parsedKind));
    }

    [Fact]
    public void TryParse_round_trips_what_For_builds()
    {
        var topic = _topics.For("org-7", "host.example", Topics.Events);

        Assert.True(_topics.TryParse(topic, out var orgId, out var deviceId, out var kind));
        Assert.Equal(("org-7", "host.example", Topics.Events), (orgId, deviceId, kind));
    }

    [Theory]
    [InlineData("fleetmfa/v2/acme/dev-1/reported")]
    [InlineData("FleetMfa/v1/acme/dev-1/reported")]
    [InlineData("fleetmfa/v1acme/dev-1/reported")]
    [InlineData("/fleetmfa/v1/acme/dev-1/reported")]
    [InlineData("acme/dev-1/reported")]
    [InlineData("")]
    [InlineData("fleetmfa/v1/acme/dev-1/status")]
    [InlineData("fleetmfa/v1/acme/dev-1/Reported")]
    [InlineData("fleetmfa/v1/acme/dev-1/")]
    [InlineData("fleetmfa/v1/acme/dev-1/+")]
    [InlineData("fleetmfa/v1/acme/dev-1/#")]
    [InlineData("fleetmfa/v1/Acme/dev-1/reported")]
    [InlineData("fleetmfa/v1/acme/DEV-1/reported")]
    [InlineData("fleetmfa/v1/+/dev-1/reported")]
    [InlineData("fleetmfa/v1/acme/+/reported")]
    [InlineData("fleetmfa/v1/#/dev-1/reported")]
    [InlineData("fleetmfa/v1/acme/#")]
    [InlineData("fleetmfa/v1//dev-1/reported")]
    [InlineData("fleetmfa/v1/acme//reported")]
    [InlineData("fleetmfa/v1/-acme/dev-1/reported")]
    [InlineData("fleetmfa/v1/acme/dev 1/reported")]
    [InlineData("fleetmfa/v1/acme/dev-1/reported/extra")]
    [InlineData("fleetmfa/v1/acme/dev-1/reported/")]
    [InlineData("fleetmfa/v1/acme/x/dev-1/reported")]
    [InlineData("fleetmfa/v1/acme/reported")]
    public void TryParse_rejects_anything_but_a_device_topic(string topic)
    {
        Assert.False(_topics.TryParse(topic, out var orgId, out var deviceId, out var kind));
        Assert.Equal(("", "", ""), (orgId, deviceId, kind));
    }

    [Fact]
    public void TryParse_rejects_ids_longer_than_63_characters()
    {
        var longId = new string('a', 64);

        Assert.True(_topics.TryParse($"fleetmfa/v1/{longId[..63]}/dev-1/reported", out _, out _, out _));
        Assert.False(_topics.TryParse($"fleetmfa/v1/{longId}/dev-1/reported", out _, out _, out _));
    }
}
