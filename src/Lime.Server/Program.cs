using Lime.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddLime();

var app = builder.Build();
app.UseLime();
app.Run();

/// <summary>Entry point; public so the tests can host it with WebApplicationFactory.</summary>
public partial class Program;
