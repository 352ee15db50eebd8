using FleetMfa.Silo.Api;
using FleetMfa.Silo.Api.Events;
using FleetMfa.Silo.Api.Limits;
using FleetMfa.Silo.Dashboard;
using FleetMfa.Silo.Hosting;
using FleetMfa.Silo.Mqtt;
using FleetMfa.Silo.Tls;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddFleetEnvironmentVariables();

builder.AddFleetClock();
builder.AddFleetKeys();
builder.AddFleetAgentTls();
builder.AddFleetStorage();
builder.AddFleetAudit();
builder.AddFleetOrleans();
builder.AddFleetMqtt();
builder.AddFleetAdminApi();
builder.AddFleetRateLimits();
builder.AddFleetEvents();
builder.AddFleetObservability();

var app = builder.Build();
app.UseFleetRateLimits();
app.UseAgentListener();
app.MapDashboard();
app.MapAdminApi();
app.MapEventsApi();
app.MapFleetObservability();

return await app.RunFleetAsync();
