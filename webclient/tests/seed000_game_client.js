// Seed 000's browser client, exactly as the seed's README shows it ("Client Integration Example").
// The browser test evaluates this file in a page of the platform and plays a game with it.

class GameClient {
    constructor(baseUrl, token) {
        this.baseUrl = baseUrl;
        this.token = token;
        this.socket = null;
    }

    async joinQueue() {
        const response = await fetch(`${this.baseUrl}/game/join/`, {
            method: 'POST',
            headers: {
                'Authorization': `Bearer ${this.token}`
            }
        });
        return await response.json();
    }

    connectToGame(gameId) {
        this.socket = new WebSocket(
            `${this.baseUrl}/ws/game/${gameId}/?token=${this.token}`
        );

        this.socket.onmessage = (event) => {
            const data = JSON.parse(event.data);
            this.handleGameMessage(data);
        };
    }

    handleGameMessage(data) {
        switch(data.type) {
            case 'game_state':
                console.log('Game State:', data);
                break;
            case 'game_start':
                console.log('Game Starting!');
                break;
            case 'player_move':
                console.log('Player Moved:', data);
                break;
        }
    }

    sendReady() {
        this.socket.send(JSON.stringify({
            type: 'player_ready'
        }));
    }

    sendMove(movement) {
        this.socket.send(JSON.stringify({
            type: 'player_move',
            movement: movement
        }));
    }
}
