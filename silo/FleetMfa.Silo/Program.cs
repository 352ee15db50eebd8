using FleetMfa.Silo.Api;
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
builder.AddFleetObservability();

var app = builder.Build();
app.MapAdminApi();
app.MapFleetObservability();

return await app.RunFleetAsync();
