using Lime.Server.Api;
using Lime.Server.Diagnostics;
using Lime.Server.Realtime;
using Lime.Server.Storage.Sqlite;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Lime.Server.Hosting;

/// <summary>Middleware order and endpoint map.</summary>
public static class LimePipeline
{
    public static WebApplication UseLime(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<LimeOptions>>().Value;
        if (options.Storage.Provider == "sqlite")
        {
            app.Services.GetRequiredService<SqliteDatabase>().Migrate();
        }

        Log.Starting(app.Logger, options.NodeId, options.Storage.Provider, Path.GetFullPath(options.Storage.DataDirectory), options.Fanout.Provider);

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
