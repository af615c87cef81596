using System;
using GamePlatform;
using GamePlatform.Unity;
using Newtonsoft.Json.Linq;
using UnityEngine;

/// <summary>
/// The sample: put it on any GameObject of an empty scene, set the server's address, press Play.
/// It signs in as this device's guest, finds a tic-tac-toe match (start a second player from a
/// browser at /play/ or a second build), and draws the board with IMGUI; a click on a free cell
/// plays it. Every handler runs on the main thread through <see cref="MainThreadDispatcher"/>.
/// </summary>
public sealed class TicTacToeClient : MonoBehaviour
{
    [SerializeField] string serverUrl = "http://127.0.0.1:8000";

    Client client;
    GameRoom room;
    string status = "signing in...";

    async void Start()
    {
        client = new Client(serverUrl, new ClientOptions
        {
            Dispatcher = MainThreadDispatcher.Enqueue,
            Storage = new PlayerPrefsStorage(),
        });
        try
        {
            if (client.Session == null)
            {
                await client.LoginWithDeviceAsync(SystemInfo.deviceUniqueIdentifier);
            }
            status = "finding a match...";
            var gameId = await client.Matchmaking.FindMatchAsync("tictactoe", TimeSpan.FromMinutes(2));
            room = client.GameRoom(gameId);
            room.On("game_over", frame => status = "game over: " + frame["reason"]);
            room.Changed += _ => status = room.Phase == "active" ? (room.MyTurn ? "your turn" : "their turn") : room.Phase;
            await room.ReadyAsync();
        }
        catch (GamePlatformException error)
        {
            status = error.Code + ": " + error.Detail;
            Debug.LogException(error);
        }
    }

    void OnGUI()
    {
        GUILayout.Label(status);
        var board = room == null || room.View == null ? null : room.View["board"] as JArray;
        if (board == null)
        {
            return;
        }
        for (var row = 0; row < 3; row++)
        {
            GUILayout.BeginHorizontal();
            for (var column = 0; column < 3; column++)
            {
                var cell = row * 3 + column;
                var mark = board[cell].Type == JTokenType.Null ? " " : (string)board[cell];
                if (GUILayout.Button(mark, GUILayout.Width(60), GUILayout.Height(60)) && mark == " " && room.MyTurn)
                {
                    Play(cell);
                }
            }
            GUILayout.EndHorizontal();
        }
    }

    async void Play(int cell)
    {
        try
        {
            await room.MoveAsync(new JObject { { "cell", cell } });
        }
        catch (GamePlatformException error)
        {
            status = error.Code + ": " + error.Detail; // not_your_turn, illegal_move, timeout...
        }
    }

    void OnDestroy()
    {
        if (client != null)
        {
            client.Dispose();
        }
    }
}
