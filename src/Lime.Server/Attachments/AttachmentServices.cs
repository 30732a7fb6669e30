namespace Lime.Server.Attachments;

/// <summary>Registers uploads, the blob store and the attachment sweeper. The row store is SQL (whichever ISqlDatabase is).</summary>
public static class AttachmentServices
{
    public static IServiceCollection AddLimeAttachments(this IServiceCollection services)
    {
        services.AddSingleton<AttachmentPaths>();
        services.AddSingleton<BlobLocks>();
        services.AddSingleton<IBlobStore, FileBlobStore>();
        services.AddSingleton<IAttachmentStore, SqlAttachmentStore>();
        services.AddSingleton<Uploads>();
        services.AddSingleton<AttachmentUrls>();
        services.AddSingleton<Downloads>();
        services.AddSingleton<AttachmentSweeper>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<AttachmentSweeper>());
        return services;
    }
}
