using FleetMfa.Silo.Api;
using FleetMfa.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddFleetEnvironmentVariables();

builder.AddFleetClock();
builder.AddFleetKeys();
builder.AddFleetStorage();
builder.AddFleetOrleans();
builder.AddFleetAdminApi();

var app = builder.Build();
app.MapAdminApi();

return await app.RunFleetAsync();
