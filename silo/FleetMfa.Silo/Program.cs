using FleetMfa.Silo.Api;
using FleetMfa.Silo.Api.Events;
using FleetMfa.Silo.Dashboard;
using FleetMfa.Silo.Hosting;
using FleetMfa.Silo.Mqtt;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddFleetEnvironmentVariables();

builder.AddFleetClock();
builder.AddFleetKeys();
builder.AddFleetStorage();
builder.AddFleetAudit();
builder.AddFleetOrleans();
builder.AddFleetMqtt();
builder.AddFleetAdminApi();
builder.AddFleetEvents();
builder.AddFleetObservability();

var app = builder.Build();
app.MapDashboard();
app.MapAdminApi();
app.MapEventsApi();
app.MapFleetObservability();

return await app.RunFleetAsync();
