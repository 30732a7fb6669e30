using Lime.Server.Api;
using Lime.Server.Diagnostics;
using Lime.Server.Realtime;
using Lime.Server.Storage.Sql;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Lime.Server.Hosting;

/// <summary>Middleware order and endpoint map.</summary>
public static class LimePipeline
{
    public static WebApplication UseLime(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<LimeOptions>>().Value;
        var database = app.Services.GetRequiredService<ISqlDatabase>();
        database.Migrate();
        Log.Starting(app.Logger, options.NodeId, database.Dialect.Name, database.Location, options.Fanout.Provider);

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseWebSockets();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi();
        app.MapScalarApiReference("/docs", o => o.WithTitle("LIME API"));
        app.MapHealthApi();
        app.MapAuthApi();
        app.MapUsersApi();
        app.MapRoomsApi();
        app.MapContactsApi();
        app.MapRealtime();
        return app;
    }
}
