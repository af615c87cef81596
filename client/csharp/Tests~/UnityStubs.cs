// The few UnityEngine names the package's Unity parts and its sample use, as empty stand-ins: enough
// for mcs to check that they compile (with UNITY_5_3_OR_NEWER defined) where no Unity is installed.
// They run nothing; the package runs on Unity's own UnityEngine.
using System;

namespace UnityEngine
{
    public class Object
    {
        public HideFlags hideFlags { get; set; }

        public static void DontDestroyOnLoad(Object target)
        {
        }
    }

    public class Component : Object
    {
    }

    public class Behaviour : Component
    {
    }

    public class MonoBehaviour : Behaviour
    {
    }

    public sealed class GameObject : Object
    {
        public GameObject(string name)
        {
        }

        public T AddComponent<T>() where T : Component, new()
        {
            return new T();
        }
    }

    [Flags]
    public enum HideFlags
    {
        None = 0,
        HideAndDontSave = 61,
    }

    public enum RuntimeInitializeLoadType
    {
        AfterSceneLoad,
        BeforeSceneLoad,
    }

    [AttributeUsage(AttributeTargets.Method)]
    public sealed class RuntimeInitializeOnLoadMethodAttribute : Attribute
    {
        public RuntimeInitializeOnLoadMethodAttribute(RuntimeInitializeLoadType loadType)
        {
        }
    }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class SerializeField : Attribute
    {
    }

    public static class Debug
    {
        public static void Log(object message)
        {
        }

        public static void LogException(Exception exception)
        {
        }
    }

    public static class SystemInfo
    {
        public static string deviceUniqueIdentifier
        {
            get { return "stub-device-0000000000"; }
        }
    }

    public static class PlayerPrefs
    {
        public static bool HasKey(string key)
        {
            return false;
        }

        public static string GetString(string key)
        {
            return "";
        }

        public static void SetString(string key, string value)
        {
        }

        public static void DeleteKey(string key)
        {
        }

        public static void Save()
        {
        }
    }

    public sealed class GUILayoutOption
    {
    }

    public static class GUILayout
    {
        public static void Label(string text)
        {
        }

        public static bool Button(string text, params GUILayoutOption[] options)
        {
            return false;
        }

        public static GUILayoutOption Width(float width)
        {
            return new GUILayoutOption();
        }

        public static GUILayoutOption Height(float height)
        {
            return new GUILayoutOption();
        }

        public static void BeginHorizontal()
        {
        }

        public static void EndHorizontal()
        {
        }
    }
}
