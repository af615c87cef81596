#if UNITY_5_3_OR_NEWER
using System;
using System.Collections.Generic;
using UnityEngine;

namespace GamePlatform.Unity
{
    /// <summary>
    /// Runs the client's handlers on Unity's main thread: sockets read on a thread of their own, and
    /// Unity's objects may only be touched from the main one. Give <see cref="Enqueue"/> to the client
    /// (<c>new ClientOptions { Dispatcher = MainThreadDispatcher.Enqueue }</c>); the first call makes
    /// one hidden GameObject that drains the queue every frame and survives scene loads.
    /// </summary>
    public sealed class MainThreadDispatcher : MonoBehaviour
    {
        static readonly Queue<Action> Pending = new Queue<Action>();
        static MainThreadDispatcher instance;

        /// <summary>Runs <paramref name="action"/> on the main thread, at the next frame.</summary>
        public static void Enqueue(Action action)
        {
            lock (Pending)
            {
                Pending.Enqueue(action);
            }
        }

        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.BeforeSceneLoad)]
        static void Install()
        {
            if (instance != null)
            {
                return;
            }
            var holder = new GameObject("GamePlatform.MainThreadDispatcher") { hideFlags = HideFlags.HideAndDontSave };
            DontDestroyOnLoad(holder);
            instance = holder.AddComponent<MainThreadDispatcher>();
        }

        void Update()
        {
            while (true)
            {
                Action next;
                lock (Pending)
                {
                    if (Pending.Count == 0)
                    {
                        return;
                    }
                    next = Pending.Dequeue();
                }
                try
                {
                    next();
                }
                catch (Exception error)
                {
                    Debug.LogException(error);
                }
            }
        }
    }

    /// <summary>The session kept in Unity's PlayerPrefs: a player stays signed in across launches.</summary>
    public sealed class PlayerPrefsStorage : ISessionStorage
    {
        public string Get(string key)
        {
            return PlayerPrefs.HasKey(key) ? PlayerPrefs.GetString(key) : null;
        }

        public void Set(string key, string value)
        {
            PlayerPrefs.SetString(key, value);
            PlayerPrefs.Save();
        }

        public void Remove(string key)
        {
            PlayerPrefs.DeleteKey(key);
            PlayerPrefs.Save();
        }
    }
}
#endif
