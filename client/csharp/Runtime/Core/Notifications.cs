using System;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>
    /// The per-user socket (<c>/ws/notifications/</c>): friends, invites, <c>match_found</c>,
    /// <c>liveops_changed</c>, <c>sanction</c>... <see cref="FindMatchAsync"/> never loses a match: the
    /// socket is open before the queue is joined, and while no match comes the queue's status is
    /// asked every 3 s (a <c>match_found</c> a drop lost is found there).
    /// </summary>
    public class Notifications
    {
        static readonly TimeSpan QueueCheck = TimeSpan.FromSeconds(3);

        readonly Client client;

        internal Notifications(Client client)
        {
            this.client = client;
            Socket = client.Socket("/ws/notifications/");
        }

        public Socket Socket { get; private set; }

        public IDisposable On(string type, Action<JObject> handler)
        {
            return Socket.On(type, handler);
        }

        /// <summary>Queues for <paramref name="mode"/> and answers the game id of my match.</summary>
        public async Task<long> FindMatchAsync(string mode = "tictactoe", TimeSpan? timeout = null)
        {
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
            var found = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (Socket.On("match_found", frame => found.TrySetResult((long)frame["game_id"])))
            {
                if (!Socket.IsOpen)
                {
                    var opened = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    Action open = () => opened.TrySetResult(true);
                    Socket.Opened += open;
                    try
                    {
                        if (!Socket.IsOpen)
                        {
                            await Task.WhenAny(opened.Task, Task.Delay(client.Options.RequestTimeout)).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        Socket.Opened -= open;
                    }
                }
                var answer = await client.Matchmaking.JoinAsync(mode).ConfigureAwait(false);
                if ((string)answer["status"] == "matched")
                {
                    return (long)answer["game_id"];
                }
                while (true)
                {
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero)
                    {
                        try
                        {
                            await client.Matchmaking.LeaveAsync().ConfigureAwait(false);
                        }
                        catch (GamePlatformException)
                        {
                        }
                        throw new GamePlatformException(0, "timeout", "no match for " + mode + " in time");
                    }
                    await Task.WhenAny(found.Task, Task.Delay(left < QueueCheck ? left : QueueCheck)).ConfigureAwait(false);
                    if (found.Task.IsCompleted)
                    {
                        return found.Task.Result;
                    }
                    var status = await client.Matchmaking.StatusAsync().ConfigureAwait(false);
                    if ((string)status["status"] == "matched" && status["game_id"] != null && status["game_id"].Type == JTokenType.Integer)
                    {
                        return (long)status["game_id"];
                    }
                    if ((string)status["status"] == "idle")
                    {
                        answer = await client.Matchmaking.JoinAsync(mode).ConfigureAwait(false); // the queue lost me: again
                        if ((string)answer["status"] == "matched")
                        {
                            return (long)answer["game_id"];
                        }
                    }
                }
            }
        }
    }
}
