using FleetMfa.Silo.Api;
using FleetMfa.Silo.Hosting;
using FleetMfa.Silo.Mqtt;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddFleetEnvironmentVariables();

builder.AddFleetClock();
builder.AddFleetKeys();
builder.AddFleetStorage();
builder.AddFleetOrleans();
builder.AddFleetMqtt();
builder.AddFleetAdminApi();

var app = builder.Build();
app.MapAdminApi();

return await app.RunFleetAsync();
